package io.castvault.recording;

import io.castvault.core.Hashing;
import io.castvault.core.model.Chunk;
import io.castvault.db.Database;
import io.castvault.db.MachineQueries;
import io.castvault.db.MachineRow;
import io.castvault.db.RecordingQueries;
import io.castvault.db.RemovalQueries;
import io.castvault.db.Role;
import io.castvault.db.SettingsQueries;
import io.castvault.db.TestSql;
import io.castvault.db.Tx;
import io.castvault.db.WritePathQueries;
import io.castvault.events.Outbox;
import io.castvault.storage.FaultyBlobStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gauges' figures over every org, on the real PostgreSQL. */
class ServiceCountsTest {
    Database db;

    /** A database of each test's own: the figures are over every org. */
    @BeforeEach
    void database() {
        db = TestTenant.empty(4);
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** An org recording sessions: its admin and their machine. */
    record RecordingOrg(Caller admin, UUID machineId) {
    }

    static RecordingOrg recordingOrg(Database db) {
        Organizations orgs = new Organizations(db);
        UUID org = orgs.create("counted", true);
        UUID admin = orgs.addUser(org, Role.ADMIN, null, "admin");
        UUID machine = UUID.randomUUID();
        db.inOrg(org, tx -> {
            MachineQueries.create(tx, new MachineRow(machine, org, "m", admin), Hashing.sha256(machine.toString().getBytes()));
            SettingsQueries.update(tx, true, null, null);
            return null;
        });
        return new RecordingOrg(new Caller(admin, org, Role.ADMIN), machine);
    }

    @Test
    void countsRecordingsByStatusAcrossOrgsAndTheUnpublishedEvents() {
        ServiceCounts counts = new ServiceCounts(db);
        assertEquals(new ServiceCounts.Snapshot(Map.of(), 0), counts.read());

        Recordings recordings = new Recordings(db, new FaultyBlobStore());
        RecordingOrg first = recordingOrg(db);
        RecordingOrg second = recordingOrg(db);
        // the outbox is written only while a relay runs in the process
        Outbox.enable();
        try {
            recordings.start(first.admin(), first.machineId(), "ssh", null);
            recordings.start(first.admin(), first.machineId(), "ssh", null);
            recordings.start(second.admin(), second.machineId(), "ssh", null);
        } finally {
            Outbox.release();
        }
        ServiceCounts.Snapshot now = counts.read();
        assertEquals(3L, now.recordingsByStatus().get("active"));
        assertEquals(3L, now.outboxBacklog());

        // removed by retention, its objects not yet deleted: counted as deleting until its removal is done
        db.inOrg(second.admin().orgId(), tx -> TestSql.execute(tx,
                "UPDATE session_recordings SET started_at = now() - interval '400 days'"));
        var removed = db.inOrg(second.admin().orgId(), tx -> RemovalQueries.removeExpired(tx, 10, 10));
        assertEquals(Map.of("active", 2L, "deleting", 1L), counts.read().recordingsByStatus());
        db.inOrg(second.admin().orgId(), tx -> {
            RemovalQueries.finish(tx, removed.getFirst().id());
            return null;
        });
        assertEquals(Map.of("active", 2L), counts.read().recordingsByStatus());
    }

    /**
     * A recording removed while one of its chunks is claimed is named by two removals (its objects, and the chunk
     * that may still land, held for the lease); one the delete action marked has its row too. Either is one
     * recording awaiting the deletion of its objects.
     */
    @Test
    void aRecordingNamedTwiceIsCountedOnce() {
        ServiceCounts counts = new ServiceCounts(db);
        Recordings recordings = new Recordings(db, new FaultyBlobStore());
        RecordingOrg org = recordingOrg(db);
        UUID orgId = org.admin().orgId();
        UUID expired = recordings.start(org.admin(), org.machineId(), "ssh", null).sessionId();
        UUID marked = recordings.start(org.admin(), org.machineId(), "ssh", null).sessionId();
        for (UUID id : new UUID[] {expired, marked}) {
            byte[] sha = Hashing.sha256(id.toString().getBytes());
            assertTrue(WritePathQueries.chunkSteps(db, orgId, List.of(new WritePathQueries.ChunkClaim(id,
                    new Chunk(0, sha, 10, 1, 1.0, false, false), null))).getFirst().claim().claimed());
        }

        db.inOrg(orgId, tx -> TestSql.execute(tx,
                "UPDATE session_recordings SET started_at = now() - interval '400 days' WHERE id = ?", expired));
        var removed = db.inOrg(orgId, tx -> RemovalQueries.removeExpired(tx, 10, 10));
        assertEquals(2L, (long) db.inOrg(orgId, tx -> TestSql.removalsNaming(tx, expired)), "its objects, and the claimed chunk");
        assertEquals(1L, counts.read().recordingsByStatus().get("deleting"));

        db.inOrg(orgId, tx -> {
            RecordingQueries.markDeleting(tx, marked);
            RemovalQueries.deferObjectsInFlight(tx, marked);
            return null;
        });
        assertEquals(1L, (long) db.inOrg(orgId, tx -> TestSql.removalsNaming(tx, marked)), "the claimed chunk");
        assertEquals(2L, counts.read().recordingsByStatus().get("deleting"));

        db.inOrg(orgId, tx -> {
            removed.forEach(r -> RemovalQueries.finish(tx, r.id()));
            return null;
        });
        assertEquals(2L, counts.read().recordingsByStatus().get("deleting"),
                "the held removals still name both");
    }

    /**
     * The gauge looks the recordings its removals name up among the marked rows: asked instead whether each still
     * had a row, the planner read the whole table into a hash on every refresh (half a second at a million
     * recordings, every 15 s while a sweep's removals were pending).
     */
    @Test
    void theBacklogIsCountedWithoutReadingEveryRecording() {
        ServiceCounts counts = new ServiceCounts(db);
        RecordingOrg org = recordingOrg(db);
        UUID orgId = org.admin().orgId();
        db.inOrg(orgId, tx -> TestSql.execute(tx, """
                INSERT INTO session_recordings (id, org_id, machine_id, user_id, session_type, status, started_at,
                                                ended_at, duration_seconds)
                SELECT gen_random_uuid(), ?, ?, ?, 'ssh', 'completed', t, t + interval '1 minute', 60
                FROM generate_series(1, 60000) g,
                     LATERAL (SELECT now() - CASE WHEN g <= 4000 THEN interval '400 days' ELSE interval '1 hour' END) s(t)""",
                orgId, org.machineId(), org.admin().userId()));
        assertEquals(8, db.inOrg(orgId, tx -> RemovalQueries.removeExpired(tx, 4000, 500)).size());
        db.acrossOrgs(tx -> TestSql.execute(tx, "ANALYZE session_recordings"));

        long[] read = db.acrossOrgs(tx -> {
            long before = sequentialScans(tx);
            long awaiting = RemovalQueries.recordingsAwaitingObjectRemoval(tx);
            return new long[] {awaiting, sequentialScans(tx) - before};
        });
        assertEquals(4000L, read[0]);
        assertEquals(0L, read[1], "sequential scans of session_recordings");
        assertEquals(4000L, counts.read().recordingsByStatus().get("deleting"));
    }

    private static long sequentialScans(Tx tx) {
        return TestSql.count(tx, "SELECT coalesce(seq_scan, 0) FROM pg_stat_xact_user_tables WHERE relname = 'session_recordings'");
    }
}
