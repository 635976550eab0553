package io.castvault.db;

import io.castvault.core.model.Chunk;
import io.castvault.core.model.RecordingStatus;
import io.castvault.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * upload_chunk's claim commits without waiting for the WAL flush, its mark waits for it: the claim need only be
 * visible before the object is put, while an acknowledged chunk must be durable, claim included.
 */
class ChunkClaimTest {
    private static final UUID ORG = UUID.randomUUID();
    private static final UUID USER = UUID.randomUUID();
    private static final UUID MACHINE = UUID.randomUUID();
    private static final int CLAIMS = 20;
    private static Database db;

    @BeforeAll
    static void setUp() {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        // two connections (the migration needs them), and the pool hands a thread the one it returned last: what
        // the claim sets must not stay on the connection the next statement gets
        db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 2));
        db.migrate();
        db.acrossOrgs(tx -> {
            OrgQueries.createOrg(tx, ORG, "claims", Set.of());
            return null;
        });
        db.inOrg(ORG, tx -> {
            OrgQueries.upsertUser(tx, USER, "u");
            OrgQueries.putMembership(tx, USER, Role.ADMIN);
            MachineQueries.create(tx, new MachineRow(MACHINE, ORG, "m", USER), new byte[32]);
            return null;
        });
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void theClaimIsNotWaitedForTheMarkFlushesBoth() {
        UUID recording = UUID.randomUUID();
        db.inOrg(ORG, tx -> {
            RecordingQueries.insert(tx, new RecordingQueries.NewRecording(recording, MACHINE, USER, "ssh",
                    RecordingStatus.ACTIVE, "{}"));
            return null;
        });
        int unflushedAfterClaim = 0;
        for (int i = 0; i < CLAIMS; i++) {
            byte[] sha = new byte[32];
            sha[0] = (byte) i;
            Chunk chunk = new Chunk(i, sha, 10, 1, i, i == 0, false);
            assertTrue(WritePathQueries.chunkSteps(db, ORG, List.of(new WritePathQueries.ChunkClaim(recording, chunk, USER)))
                    .getFirst().claim().claimed());
            // the WAL written so far, read right after the claim returned: with a synchronous commit it would be
            // on disk already (nothing else writes here meanwhile)
            String[] lsn = db.inOrg(ORG, tx -> TestSql.text(tx,
                    "SELECT pg_current_wal_insert_lsn() || ' ' || pg_current_wal_flush_lsn()")).split(" ");
            String insertedAfterClaim = lsn[0];
            if (!lsn[0].equals(lsn[1])) {
                unflushedAfterClaim++;
            }
            assertEquals("on", db.inOrg(ORG, tx -> TestSql.text(tx, "SHOW synchronous_commit")),
                    "the claim's setting is its own transaction's, not the pooled connection's");

            assertTrue(WritePathQueries.chunkSteps(db, ORG, List.of(new WritePathQueries.StoredMark(recording, i, sha))).getFirst()
                    .marked());
            boolean flushed = db.inOrg(ORG, tx -> "true".equals(TestSql.text(tx,
                    "SELECT (pg_current_wal_flush_lsn() >= ?::pg_lsn)::text", insertedAfterClaim)));
            assertTrue(flushed, "the mark returns once the WAL up to its commit, the claim's too, is on disk");
        }
        assertTrue(unflushedAfterClaim >= CLAIMS / 4,
                "claims that returned before their WAL was flushed: " + unflushedAfterClaim + " of " + CLAIMS);
    }
}
