package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.model.Chunk;
import io.castvault.core.model.RecordingStatus;
import io.castvault.db.Database;
import io.castvault.db.DatabaseSettings;
import io.castvault.db.MachineQueries;
import io.castvault.db.MachineRow;
import io.castvault.db.OrgQueries;
import io.castvault.db.RecordingQueries;
import io.castvault.db.Role;
import io.castvault.db.TestSql;
import io.castvault.db.WritePathQueries;
import io.castvault.db.WritePathQueries.ChunkClaim;
import io.castvault.db.WritePathQueries.ChunkStep;
import io.castvault.db.WritePathQueries.Claim;
import io.castvault.db.WritePathQueries.StepAnswer;
import io.castvault.db.WritePathQueries.StoredMark;
import io.castvault.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * upload_chunk's claims and marks as group commits, against PostgreSQL: what arrives while a statement runs goes in
 * the next one, claims and marks alike, each with its own answer, and a statement that fails fails exactly the
 * elements it carried.
 * The first statement is held on a row lock the test takes, so what gathers behind it does not depend on timing.
 */
class GroupCommitsTest {
    private static final UUID ORG = UUID.randomUUID();
    private static final UUID ADMIN = UUID.randomUUID();
    private static final UUID MACHINE = UUID.randomUUID();
    private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(1);
    private static TestPostgres.Coordinates coordinates;
    private static Database db;

    @BeforeAll
    static void setUp() {
        coordinates = TestPostgres.instance().freshDatabase();
        db = TestTenant.database(coordinates, "marks", ORG, ADMIN, MACHINE);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void marksAndClaimsThatArriveWhileOneRunsAreMadeByOneStatementEachWithItsOwnAnswer() throws Exception {
        UUID id = recording();
        List<byte[]> shas = claim(id, 6);
        List<Future<Claim>> claims = new ArrayList<>();
        GroupCommits<ChunkStep, StepAnswer> steps = steps(db);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Boolean>> later = new ArrayList<>();
            Future<Boolean> first = whileRowLocked(id, 0, () -> threads.submit(() -> mark(steps, ORG, id, 0, shas.get(0))),
                    () -> {
                        later.add(threads.submit(() -> mark(steps, ORG, id, 1, shas.get(1))));
                        later.add(threads.submit(() -> mark(steps, ORG, id, 2, shas.get(2))));
                        later.add(threads.submit(() -> mark(steps, ORG, id, 2, shas.get(2)))); // the same chunk twice
                        later.add(threads.submit(() -> mark(steps, ORG, id, 3, shas.get(4)))); // other bytes
                        later.add(threads.submit(() -> mark(steps, ORG, UUID.randomUUID(), 4, shas.get(4)))); // no such claim
                        claims.add(threads.submit(() -> claimIn(steps, new ChunkClaim(id, chunk(6, sha(7)), null))));
                        claims.add(threads.submit(() -> claimIn(steps, new ChunkClaim(id, chunk(5, sha(7)), null))));
                        awaitQueued(steps, 7);
                    });
            assertTrue(first.get(10, TimeUnit.SECONDS));
            List<Boolean> answers = new ArrayList<>();
            for (Future<Boolean> f : later) {
                answers.add(f.get(10, TimeUnit.SECONDS));
            }
            assertTrue(answers.get(0));
            assertTrue(answers.get(1) ^ answers.get(2), "the same chunk twice is marked once: " + answers);
            assertFalse(answers.get(3), "a mark with other bytes than the claim's");
            assertFalse(answers.get(4), "a mark of a chunk nobody claimed");
            assertTrue(claims.get(0).get(10, TimeUnit.SECONDS).claimed(), "a new chunk's claim");
            assertFalse(claims.get(1).get(10, TimeUnit.SECONDS).claimed(), "a claim of a chunk claimed before");
            assertEquals(2, steps.statements(), "the marks and claims that gathered behind the first went in one statement");
        }
        assertEquals(0, steps.groupsHeld(), "an org with nothing in flight leaves no group behind");
        assertEquals(List.of("stored", "stored", "stored", "pending", "pending", "pending", "pending"), states(id));
        assertTrue(mark(steps, ORG, id, 3, shas.get(3)), "one mark on its own");
        assertEquals(3, steps.statements());
    }

    @Test
    void claimsThatArriveWhileOneRunsAreMadeByOneStatementEachWithItsOwnAnswer() throws Exception {
        UUID id = recording();
        UUID other = recording();
        byte[] a = sha(1);
        byte[] b = sha(2);
        GroupCommits<ChunkStep, StepAnswer> steps = steps(db);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Claim>> later = new ArrayList<>();
            // a claim locks its recording shared, so it waits while the test holds the recording's row
            Future<Claim> first = RowLocks.whileLocked(db, ORG, "SELECT 1 FROM session_recordings WHERE id = ? FOR UPDATE",
                    new Object[] {id},
                    () -> threads.submit(() -> claimIn(steps, new ChunkClaim(id, chunk(0, a), null))),
                    () -> {
                        later.add(threads.submit(() -> claimIn(steps, new ChunkClaim(id, chunk(1, a), null))));
                        later.add(threads.submit(() -> claimIn(steps, new ChunkClaim(id, chunk(1, b), null))));
                        later.add(threads.submit(() -> claimIn(steps, new ChunkClaim(other, chunk(0, a), ADMIN))));
                        later.add(threads.submit(() -> claimIn(steps, new ChunkClaim(other, chunk(1, a), UUID.randomUUID()))));
                        later.add(threads.submit(() -> claimIn(steps, new ChunkClaim(UUID.randomUUID(), chunk(0, a), null))));
                        awaitQueued(steps, 5);
                    });
            assertTrue(first.get(10, TimeUnit.SECONDS).claimed());
            List<Claim> answers = new ArrayList<>();
            for (Future<Claim> f : later) {
                answers.add(f.get(10, TimeUnit.SECONDS));
            }
            assertTrue(answers.get(0).claimed() ^ answers.get(1).claimed(), "chunk 1 twice, other bytes: one claim wins");
            assertTrue(answers.get(2).claimed(), "the owner's claim");
            assertEquals(RecordingStatus.ACTIVE, answers.get(2).recording().orElseThrow().status());
            assertFalse(answers.get(3).claimed(), "a writer who does not own the recording claims nothing");
            assertEquals(ADMIN, answers.get(3).recording().orElseThrow().userId(), "and hears whose it is");
            assertTrue(answers.get(4).recording().isEmpty(), "no such recording");
            assertFalse(answers.get(4).claimed());
            assertEquals(2, steps.statements(), "the five claims that gathered behind the first went in one statement");
        }
        assertEquals(List.of("pending", "pending"), states(id));
        assertEquals(List.of("pending"), states(other));
    }

    @Test
    void aStatementThatFailsFailsTheMarksItCarriedAndNoOthers() throws Exception {
        UUID id = recording();
        List<byte[]> shas = claim(id, 4);
        // the same database, with sessions whose statements give up after a second
        try (Database impatient = Database.connect(new DatabaseSettings(coordinates.url(), coordinates.user(),
                coordinates.password(), 4, DatabaseSettings.DEFAULT_CONNECT_TIMEOUT, STATEMENT_TIMEOUT,
                DatabaseSettings.DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT, DatabaseSettings.DEFAULT_SOCKET_TIMEOUT));
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            GroupCommits<ChunkStep, StepAnswer> steps = steps(impatient);
            List<Future<Boolean>> gathered = new ArrayList<>();
            // chunk 0's row stays locked until both statements have timed out: the first carries chunk 0 alone,
            // the second chunks 1 and 2 and chunk 0 again, so it waits on the lock too
            Future<Boolean> first = whileRowLocked(id, 0, () -> threads.submit(() -> mark(steps, ORG, id, 0, shas.get(0))),
                    () -> {
                        gathered.add(threads.submit(() -> mark(steps, ORG, id, 1, shas.get(1))));
                        gathered.add(threads.submit(() -> mark(steps, ORG, id, 2, shas.get(2))));
                        gathered.add(threads.submit(() -> mark(steps, ORG, id, 0, shas.get(0))));
                        awaitQueued(steps, 3);
                        for (Future<Boolean> f : gathered) {
                            assertFailed(f);
                        }
                    });
            assertFailed(first);
            assertEquals(2, steps.statements());
            assertEquals(List.of("pending", "pending", "pending", "pending"), states(id),
                    "a failed statement marked nothing, not even the chunks whose rows were free");
            assertTrue(mark(steps, ORG, id, 3, shas.get(3)), "the next mark runs a statement of its own");
            assertEquals(3, steps.statements());
        }
    }

    @Test
    void aStatementThatAnswersTooFewFailsItsElements() {
        GroupCommits<Integer, Integer> wrong = new GroupCommits<>((org, elements) -> List.of());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> wrong.run(ORG, 1));
        assertEquals("0 answers to 1 elements", e.getMessage());
        assertEquals(0, wrong.groupsHeld());
    }

    @Test
    void aMarkInTheNameOfAnotherOrgFindsNothing() {
        UUID otherOrg = UUID.randomUUID();
        UUID otherAdmin = UUID.randomUUID();
        UUID otherMachine = UUID.randomUUID();
        UUID otherRecording = UUID.randomUUID();
        db.acrossOrgs(tx -> {
            OrgQueries.createOrg(tx, otherOrg, "marks-other", Set.of(OrgQueries.RECORDING_FEATURE));
            return null;
        });
        db.inOrg(otherOrg, tx -> {
            OrgQueries.upsertUser(tx, otherAdmin, "admin");
            OrgQueries.putMembership(tx, otherAdmin, Role.ADMIN);
            MachineQueries.create(tx, new MachineRow(otherMachine, otherOrg, "m", otherAdmin), new byte[32]);
            return RecordingQueries.insert(tx, new RecordingQueries.NewRecording(otherRecording, otherMachine, otherAdmin,
                    "ssh", RecordingStatus.ACTIVE, "{}"));
        });
        byte[] sha = new byte[32];
        assertTrue(claim(otherOrg, new ChunkClaim(otherRecording, new Chunk(0, sha, 10, 1, 0, true, false), null)).claimed());
        GroupCommits<ChunkStep, StepAnswer> steps = steps(db);
        assertFalse(mark(steps, ORG, otherRecording, 0, sha), "row-level security hides the other org's claim");
        assertEquals("pending", db.inOrg(otherOrg, tx -> TestSql.text(tx,
                "SELECT state FROM recording_chunks WHERE recording_id = ?", otherRecording)));
        assertTrue(mark(steps, otherOrg, otherRecording, 0, sha));
    }

    private static GroupCommits<ChunkStep, StepAnswer> steps(Database on) {
        return new GroupCommits<>((org, group) -> WritePathQueries.chunkSteps(on, org, group));
    }

    private static boolean mark(GroupCommits<ChunkStep, StepAnswer> steps, UUID org, UUID recording, int index, byte[] sha) {
        return steps.run(org, new StoredMark(recording, index, sha)).marked();
    }

    private static Claim claimIn(GroupCommits<ChunkStep, StepAnswer> steps, ChunkClaim c) {
        return steps.run(ORG, c).claim();
    }

    private static Claim claim(UUID org, ChunkClaim c) {
        return WritePathQueries.chunkSteps(db, org, List.of(c)).getFirst().claim();
    }

    private static Chunk chunk(int index, byte[] sha) {
        return new Chunk(index, sha, 10, 1, index, index == 0, false);
    }

    private static byte[] sha(int first) {
        byte[] sha = new byte[32];
        sha[0] = (byte) first;
        return sha;
    }

    private static UUID recording() {
        UUID id = UUID.randomUUID();
        db.inOrg(ORG, tx -> RecordingQueries.insert(tx, new RecordingQueries.NewRecording(id, MACHINE, ADMIN, "ssh",
                RecordingStatus.ACTIVE, "{}")));
        return id;
    }

    /** Claims chunks 0..n-1 of the recording, each with its own bytes; returns their hashes. */
    private static List<byte[]> claim(UUID id, int n) {
        List<byte[]> shas = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] sha = new byte[32];
            sha[0] = (byte) (i + 1);
            shas.add(sha);
            assertTrue(claim(ORG, new ChunkClaim(id, chunk(i, sha), null)).claimed());
        }
        return shas;
    }

    private static <T> Future<T> whileRowLocked(UUID id, int index, Supplier<Future<T>> blocked,
                                                RowLocks.ThrowingRunnable meanwhile) throws Exception {
        return RowLocks.whileLocked(db, ORG,
                "SELECT 1 FROM recording_chunks WHERE recording_id = ? AND chunk_index = ? FOR UPDATE",
                new Object[] {id, index}, blocked, meanwhile);
    }

    /** Waits until {@code n} elements are queued behind the running statement (no second statement has begun). */
    private static void awaitQueued(GroupCommits<?, ?> commits, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (commits.queued(ORG) < n) {
            assertTrue(System.nanoTime() < deadline, "queued: " + commits.queued(ORG));
            Thread.sleep(5);
        }
        assertEquals(1, commits.statements(), "only the blocked statement has run");
    }

    private static void assertFailed(Future<Boolean> f) throws Exception {
        try {
            Boolean answer = f.get(20, TimeUnit.SECONDS);
            throw new AssertionError("the mark was answered " + answer + " instead of failing");
        } catch (ExecutionException e) {
            assertInstanceOf(CastvaultException.class, e.getCause());
        }
    }

    private static List<String> states(UUID id) {
        return db.inOrg(ORG, tx -> TestSql.rows(tx, "SELECT state FROM recording_chunks WHERE recording_id = ? ORDER BY chunk_index", id)
                .getValues(0, String.class));
    }

}
