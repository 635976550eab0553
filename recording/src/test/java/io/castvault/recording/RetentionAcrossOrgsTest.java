package io.castvault.recording;

import io.castvault.db.Database;
import io.castvault.db.EvidenceQueries;
import io.castvault.db.RemovalQueries;
import io.castvault.db.TestSql;
import io.castvault.storage.FaultyBlobStore;
import io.castvault.storage.ObjectKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sweeper's removals over many orgs: a few removals, not one per org, each seen only across orgs. */
class RetentionAcrossOrgsTest {
    static Database db;

    @BeforeAll
    static void database() {
        db = TestTenant.empty(4);
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @Test
    void oneRemovalSpansTheOrgsOfASweepAndNoOrgScopedTransactionSeesIt() {
        FaultyBlobStore store = new FaultyBlobStore();
        // the seal's chunk cleanup in place: run later, it would hold a row lock the removal skips
        UseCases uc = UseCases.wire(db, store, StorePlacement.only(store), new UseCases.Settings(1 << 20, 4,
                Duration.ofHours(1), Duration.ofHours(24), Duration.ofHours(24), 1000,
                Path.of(System.getProperty("java.io.tmpdir"))), SealListener.NONE, Runnable::run);
        List<ServiceCountsTest.RecordingOrg> orgs = List.of(ServiceCountsTest.recordingOrg(db),
                ServiceCountsTest.recordingOrg(db), ServiceCountsTest.recordingOrg(db));
        Set<UUID> ids = orgs.stream().map(o -> {
            UUID id = uc.recordings().start(o.admin(), o.machineId(), "ssh", null).sessionId();
            uc.uploads().upload(o.admin(), id, 0, WritePathTest.utf8(WritePathTest.CHUNK0));
            uc.sealing().complete(o.admin(), id, new Sealing.CompleteRequest(null, null, null));
            db.inOrg(o.admin().orgId(), tx -> {
                // its manifest recorded, as the evidence module (not wired here) does in the service: else its
                // removal is also deferred for a manifest that may still be on its way (V18)
                EvidenceQueries.setManifestSha256(tx, id, new byte[32]);
                return TestSql.execute(tx,
                        "UPDATE session_recordings SET started_at = now() - interval '400 days' WHERE id = ?", id);
            });
            return id;
        }).collect(Collectors.toSet());

        List<RemovalQueries.ObjectRemoval> removed = db.acrossOrgs(tx -> RemovalQueries.removeExpired(tx, 10, 500));
        assertEquals(1, removed.size(), "three orgs' recordings in one removal");
        assertNull(removed.getFirst().orgId(), "it spans orgs");
        assertEquals(ids, removed.getFirst().recordings().stream().map(RemovalQueries.RemovedRecording::id)
                .collect(Collectors.toSet()));
        assertEquals(orgs.stream().map(o -> o.admin().orgId()).collect(Collectors.toSet()),
                removed.getFirst().recordings().stream().map(RemovalQueries.RemovedRecording::orgId).collect(Collectors.toSet()));
        for (var o : orgs) {
            assertEquals(0L, (long) db.inOrg(o.admin().orgId(), tx -> TestSql.count(tx, "SELECT count(*) FROM object_removals")),
                    "row-level security: an org-scoped transaction does not see a removal that spans orgs");
        }

        // given back, the next run across orgs takes it and deletes each org's objects
        db.acrossOrgs(tx -> TestSql.execute(tx, "UPDATE object_removals SET claimed_at = NULL"));
        assertEquals(3, uc.deletion().deleteRemoved(null).recordingsDeleted());
        for (var o : orgs) {
            for (UUID id : ids) {
                assertTrue(!store.contains(ObjectKey.cast(o.admin().orgId(), id))
                        && !store.contains(ObjectKey.summary(o.admin().orgId(), id)));
            }
        }
        assertEquals(List.of(), store.keys());
        assertEquals(0L, (long) db.acrossOrgs(tx -> TestSql.count(tx, "SELECT count(*) FROM object_removals")));
    }
}
