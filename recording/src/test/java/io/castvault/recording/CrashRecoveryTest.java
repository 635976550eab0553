package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Hashing;
import io.castvault.core.model.RecordingStatus;
import io.castvault.db.Database;
import io.castvault.db.Role;
import io.castvault.db.TestSql;
import io.castvault.storage.FaultyBlobStore;
import io.castvault.storage.ObjectKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The process dies at a random store call (before or after the call took effect) during uploads, a seal or a
 * delete; a new process with the same database and store then takes over, the client retries what it was not
 * told succeeded, and one sweep runs. Seeded, so a failure replays. Afterwards every chunk that was ever
 * acknowledged is in the sealed recording, no row names a missing object, and no object is left without its row.
 */
class CrashRecoveryTest {
    static final int ROUNDS = 150;
    static final int CHUNKS = 6;

    static Database db;
    static final UUID ORG = UUID.randomUUID();
    static final UUID USER = UUID.randomUUID();
    static final UUID MACHINE = UUID.randomUUID();
    static final Caller ADMIN = new Caller(USER, ORG, Role.ADMIN);

    @BeforeAll
    static void database() {
        db = TestTenant.database("crash", ORG, USER, MACHINE);
    }

    @AfterAll
    static void close() {
        db.close();
    }

    static UseCases process(FaultyBlobStore store, Duration lease) {
        return UseCases.wire(db, store, StorePlacement.only(store), new UseCases.Settings(1 << 20, 16, lease,
                Duration.ofHours(24), Duration.ZERO, 100_000, Path.of(System.getProperty("java.io.tmpdir"))),
                SealListener.NONE, Runnable::run);
    }

    static String chunk(int round, int i) {
        return "[" + i + ".25, \"o\", \"round " + round + " chunk " + i + "\\r\\n\"]\n";
    }

    @Test
    void everyAcknowledgedChunkSurvivesACrashAtAnyStoreCall() throws Exception {
        Random random = new Random(20261125);
        FaultyBlobStore store = new FaultyBlobStore();
        int crashes = 0;
        for (int round = 0; round < ROUNDS; round++) {
            boolean delete = round % 4 == 3;
            boolean expire = round % 4 == 1; // removed by retention, in the dead process's sweep or the next one's
            UseCases first = process(store, Duration.ofHours(1));
            UUID id = first.recordings().start(ADMIN, MACHINE, "ssh", null).sessionId();
            if (expire) {
                db.inOrg(ORG, tx -> TestSql.execute(tx,
                        "UPDATE session_recordings SET started_at = now() - interval '400 days' WHERE id = ?", id));
            }
            TreeMap<Integer, String> acknowledged = new TreeMap<>();
            store.crashAt(1 + random.nextInt(CHUNKS + 18), random.nextBoolean());
            try {
                for (int i = 0; i < CHUNKS; i++) {
                    first.uploads().upload(ADMIN, id, i, WritePathTest.utf8(chunk(round, i)));
                    acknowledged.put(i, chunk(round, i));
                }
                first.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
                if (delete) {
                    first.deletion().delete(ADMIN, id);
                } else if (expire) {
                    first.retention().sweep();
                }
            } catch (FaultyBlobStore.Crash crash) {
                crashes++;
            } catch (RuntimeException e) {
                // a crash in the seal's read-ahead reaches the caller wrapped
                if (!(e.getCause() instanceof FaultyBlobStore.Crash)) {
                    throw e;
                }
                crashes++;
            }
            store.crashAt(-1, false);

            // a new process: leases of the dead one are over; the client retries what it did not see succeed
            UseCases second = process(store, Duration.ZERO); // every claim and lease of the dead one is stale
            boolean completed = false;
            for (int i = 0; i < CHUNKS; i++) {
                try {
                    second.uploads().upload(ADMIN, id, i, WritePathTest.utf8(chunk(round, i)));
                    acknowledged.put(i, chunk(round, i));
                } catch (CastvaultException e) {
                    // only a recording that the dead process already sealed (or deleted) refuses more chunks
                    assertTrue(e.code() == ErrorCode.CONFLICT || e.code() == ErrorCode.NOT_FOUND, e.getMessage());
                    completed = true;
                }
            }
            try {
                second.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
            } catch (CastvaultException e) {
                assertTrue(completed && (e.code() == ErrorCode.CONFLICT || e.code() == ErrorCode.NOT_FOUND), e.getMessage());
            }
            boolean deleted = expire;
            if (delete) {
                try {
                    second.deletion().delete(ADMIN, id);
                } catch (CastvaultException e) {
                    assertEquals(ErrorCode.NOT_FOUND, e.code(), e.getMessage());
                }
                deleted = true;
            } else if (isDeleting(id)) {
                deleted = true; // the dead process got as far as marking it; the sweep finishes it
            }
            second.retention().sweep();

            if (deleted) {
                assertEquals(List.of(), objectsOf(store, id), "round " + round + ": a deleted recording leaves nothing");
                assertEquals(0L, rows(id));
                assertEquals(0L, (long) db.inOrg(ORG, tx -> TestSql.removalsNaming(tx, id)),
                        "round " + round + ": no removal left naming it");
            } else {
                Recordings.Details details = second.recordings().get(ADMIN, id);
                assertEquals(RecordingStatus.COMPLETED, details.recording().status(), "round " + round);
                CastDownloads.Cast cast = second.downloads().describe(ADMIN, id);
                assertTrue(cast.sealed());
                String body;
                try (InputStream in = second.downloads().open(cast)) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                for (var e : acknowledged.entrySet()) {
                    assertTrue(body.contains(e.getValue()), "round " + round + ": acknowledged chunk " + e.getKey() + " lost");
                }
                assertEquals(Hashing.hex(Hashing.sha256(body.getBytes(StandardCharsets.UTF_8))), cast.sha256Hex());
                assertEquals(List.of(ObjectKey.cast(ORG, id).value(), ObjectKey.summary(ORG, id).value()),
                        objectsOf(store, id), "round " + round + ": a sealed recording is its cast and its summary");
            }
        }
        assertTrue(crashes > ROUNDS / 3, "the crash points were reached: " + crashes);
        // no object without its row anywhere in the store
        for (String key : store.keys()) {
            UUID rec = UUID.fromString(key.split("/")[2]);
            assertEquals(1L, rows(rec), "object " + key + " has no row");
        }
    }

    static List<String> objectsOf(FaultyBlobStore store, UUID id) {
        List<String> keys = new ArrayList<>();
        for (String k : store.keys()) {
            if (k.contains(id.toString())) {
                keys.add(k);
            }
        }
        keys.sort(String::compareTo);
        return keys;
    }

    static long rows(UUID id) {
        return db.inOrg(ORG, tx -> TestSql.count(tx, "SELECT count(*) FROM session_recordings WHERE id = ?", id));
    }

    static boolean isDeleting(UUID id) {
        return db.inOrg(ORG, tx -> TestSql.count(tx,
                "SELECT count(*) FROM session_recordings WHERE id = ? AND status = 'deleting'", id)) > 0;
    }
}
