package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Hashing;
import io.castvault.core.model.Chunk;
import io.castvault.db.Database;
import io.castvault.db.EvidenceQueries;
import io.castvault.db.RecordingQueries;
import io.castvault.db.RemovalQueries;
import io.castvault.db.Role;
import io.castvault.db.SettingsQueries;
import io.castvault.db.StorageQueries;
import io.castvault.db.TestSql;
import io.castvault.db.WritePathQueries;
import io.castvault.storage.FaultyBlobStore;
import io.castvault.storage.FaultyBlobStore.Fault;
import io.castvault.storage.FaultyBlobStore.Op;
import io.castvault.storage.ObjectKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write path's use cases on the real PostgreSQL and an in-memory store that fails on demand: every fault at
 * every step of upload, seal, delete and sweep leaves a state from which a retry or the sweeper converges, and no
 * acknowledged chunk is ever lost.
 */
class WritePathTest {
    static byte[] utf8(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    static final String CHUNK0 = "[0.5, \"o\", \"$ \"]\n";
    static final String CHUNK1 = "[1.0, \"o\", \"hello\\r\\n\"]\n";
    static final String CHUNK2 = "[2.0, \"o\", \"bye\"]";

    static Database db;
    static final UUID ORG = UUID.randomUUID();
    static final UUID USER = UUID.randomUUID();
    static final UUID MACHINE = UUID.randomUUID();
    static final Caller ADMIN = new Caller(USER, ORG, Role.ADMIN);

    FaultyBlobStore store;
    UseCases uc;

    @BeforeAll
    static void database() {
        db = TestTenant.database("write-path", ORG, USER, MACHINE);
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @BeforeEach
    void freshStore() {
        store = new FaultyBlobStore();
        uc = wire(Duration.ofHours(1));
    }

    UseCases wire(Duration lease) {
        return wire(lease, Runnable::run);
    }

    /** With {@code chunkCleanup} run in place, every step after a seal happens before complete returns. */
    UseCases wire(Duration lease, java.util.concurrent.Executor chunkCleanup) {
        return UseCases.wire(db, store, StorePlacement.only(store), new UseCases.Settings(1 << 20, 4, lease,
                Duration.ofHours(24), Duration.ofHours(24), 1000, Path.of(System.getProperty("java.io.tmpdir"))),
                SealListener.NONE, chunkCleanup);
    }

    UUID start() {
        return uc.recordings().start(ADMIN, MACHINE, "ssh", null).sessionId();
    }

    /**
     * A sealed recording of one chunk: its summary and cast are in the store, its chunk object is gone, and its
     * manifest is there and recorded, as the evidence module leaves it in the service (not wired here).
     */
    UUID sealedRecording() {
        UUID id = sealedRecordingWithoutManifest();
        byte[] sha = putManifest(id);
        db.inOrg(ORG, tx -> {
            EvidenceQueries.setManifestSha256(tx, id, sha);
            return null;
        });
        return id;
    }

    /** Puts a manifest and its signature for recording {@code id} as its writer would; answers the manifest's hash. */
    byte[] putManifest(UUID id) {
        ObjectKey manifest = ObjectKey.manifest(ORG, id);
        byte[] body = utf8("{}");
        byte[] sha = Hashing.sha256(body);
        store.put(manifest, body, sha, "application/json");
        store.put(ObjectKey.signatureOf(manifest), body, sha, "text/plain");
        return sha;
    }

    /** As {@link #sealedRecording()}, its manifest not yet written (its writer on its way, or dead). */
    UUID sealedRecordingWithoutManifest() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
        return id;
    }

    static void assertCode(ErrorCode code, Runnable r) {
        CastvaultException e = assertThrows(CastvaultException.class, r::run);
        assertEquals(code, e.code(), e.getMessage());
    }

    List<String> chunkStates(UUID id) {
        return db.inOrg(ORG, tx -> List.of(TestSql.text(tx,
                "SELECT coalesce(string_agg(chunk_index || ':' || state, ',' ORDER BY chunk_index), '') FROM recording_chunks WHERE recording_id = ?", id)));
    }

    String download(UUID id) throws Exception {
        CastDownloads.Cast cast = uc.downloads().describe(ADMIN, id);
        try (InputStream in = uc.downloads().open(cast)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    // --- upload -------------------------------------------------------------------------------------------------

    @Test
    void aFailedPutLeavesAClaimThatTheRetryCompletes() {
        UUID id = start();
        store.failNext(Op.PUT, Fault.FAIL);
        assertCode(ErrorCode.STORAGE_UNAVAILABLE, () -> uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0)));
        assertEquals(List.of("0:pending"), chunkStates(id));
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        assertEquals(List.of("0:stored"), chunkStates(id));
    }

    @Test
    void aPutThatSucceededButReportedFailureIsNotUndone() {
        UUID id = start();
        store.failNext(Op.PUT, Fault.FAIL_AFTER);
        assertCode(ErrorCode.STORAGE_UNAVAILABLE, () -> uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0)));
        assertTrue(store.contains(ObjectKey.chunk(ORG, id, 0)), "nothing that may have been acknowledged is deleted");
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        assertEquals(List.of("0:stored"), chunkStates(id));
    }

    @Test
    void aRetryOfAStoredChunkIsAcknowledgedAndOtherBytesConflict() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        store.failAlways(Op.PUT, Fault.FAIL);
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0)); // no put needed: acknowledged already
        store.heal();
        assertCode(ErrorCode.CONFLICT, () -> uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK1)));
    }

    @Test
    void aFreshClaimOfOtherBytesIsAConflictAndAStaleOneIsReconciled() throws Exception {
        UUID id = start();
        store.failNext(Op.PUT, Fault.FAIL);
        assertCode(ErrorCode.STORAGE_UNAVAILABLE, () -> uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0)));
        assertCode(ErrorCode.CONFLICT, () -> uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK1)));
        // once the claim's lease is over, its object is checked: absent, so the claim goes and the new bytes win
        UseCases shortLease = wire(Duration.ZERO);
        Thread.sleep(1100);
        shortLease.uploads().upload(ADMIN, id, 0, utf8(CHUNK1));
        assertEquals(List.of("0:stored"), chunkStates(id));
        assertArrayEquals(CHUNK1.getBytes(StandardCharsets.UTF_8), store.bytes(ObjectKey.chunk(ORG, id, 0)));
    }

    @Test
    void theSweeperStoresAClaimWhoseObjectArrivedAndReleasesOneWhoseObjectDidNot() throws Exception {
        UUID a = start();
        UUID b = start();
        store.failNext(Op.PUT, Fault.FAIL_AFTER); // the object is there; the client saw a failure
        assertCode(ErrorCode.STORAGE_UNAVAILABLE, () -> uc.uploads().upload(ADMIN, a, 0, utf8(CHUNK0)));
        store.failNext(Op.PUT, Fault.FAIL); // no object
        assertCode(ErrorCode.STORAGE_UNAVAILABLE, () -> uc.uploads().upload(ADMIN, b, 0, utf8(CHUNK0)));
        Thread.sleep(1100);
        RetentionService.SweepReport report = wire(Duration.ZERO).retention().sweep();
        assertTrue(report.claimsReconciled() >= 2, report.toString());
        assertEquals(List.of("0:stored"), chunkStates(a));
        assertEquals(List.of(""), chunkStates(b));
    }

    @Test
    void aSaturatedStoreAnswers503AtOnceInsteadOfQueueing() throws Exception {
        UUID id = start();
        for (int i = 0; i < 4; i++) {
            store.failNext(Op.PUT, Fault.STALL);
        }
        List<CompletableFuture<Void>> stalled = new java.util.ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        for (int i = 0; i < 4; i++) {
            int index = i;
            stalled.add(CompletableFuture.runAsync(() -> uc.uploads().upload(ADMIN, id, index, utf8(CHUNK1)), pool));
        }
        Thread.sleep(500);
        long t0 = System.nanoTime();
        assertCode(ErrorCode.STORAGE_UNAVAILABLE, () -> uc.uploads().upload(ADMIN, id, 9, utf8(CHUNK1)));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1));
        // the database is not held by the stalled uploads: other work goes on
        assertEquals("active", uc.recordings().get(ADMIN, id).recording().status().dbValue());
        store.release();
        for (CompletableFuture<Void> f : stalled) {
            assertThrows(Exception.class, f::join);
        }
        pool.shutdown();
        for (int i = 0; i < 4; i++) {
            uc.uploads().upload(ADMIN, id, i, utf8(CHUNK1));
        }
        assertEquals(List.of("0:stored,1:stored,2:stored,3:stored"), chunkStates(id));
    }

    // --- seal -------------------------------------------------------------------------------------------------

    @Test
    void sealWritesOneObjectWithTheDownloadsBytesAndRemovesTheChunks() throws Exception {
        UUID id = start();
        String active;
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        uc.uploads().upload(ADMIN, id, 1, utf8(CHUNK1));
        active = download(id);
        store.plant(ObjectKey.chunk(ORG, id, 7), "stray".getBytes(), Instant.now());
        uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
        byte[] sealed = store.bytes(ObjectKey.cast(ORG, id));
        assertEquals(active, new String(sealed, StandardCharsets.UTF_8));
        assertEquals(active, download(id));
        assertFalse(store.contains(ObjectKey.chunk(ORG, id, 0)));
        assertFalse(store.contains(ObjectKey.chunk(ORG, id, 7)), "strays under the prefix go with the chunks");
        String sha = Json.parseObject(uc.recordings().get(ADMIN, id).recording().metadataJson()).get("recording_sha256").asText();
        assertEquals(Hashing.hex(Hashing.sha256(sealed)), sha);
        assertEquals(sha, uc.downloads().describe(ADMIN, id).sha256Hex());
    }

    @Test
    void aFaultAtAnyStepOfTheSealLeavesItActiveAndTheRetrySeals() {
        for (Op op : List.of(Op.HEAD, Op.GET, Op.PUT)) {
            for (Fault fault : List.of(Fault.FAIL, Fault.FAIL_AFTER)) {
                UUID id = start();
                uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
                uc.uploads().upload(ADMIN, id, 1, utf8(CHUNK1));
                store.failNext(op, fault);
                assertCode(ErrorCode.STORAGE_UNAVAILABLE,
                        () -> uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null)));
                assertEquals("active", uc.recordings().get(ADMIN, id).recording().status().dbValue(), op + " " + fault);
                uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
                assertEquals("completed", uc.recordings().get(ADMIN, id).recording().status().dbValue());
            }
        }
    }

    /**
     * A seal that stalls past its lease (a paused process) while another takes over and seals the recording with a
     * chunk that arrived meanwhile cannot then replace that seal's objects with its own: its writes are conditional
     * on what it saw before it last found its token. Sealed object, summary and recording_sha256 stay the second
     * seal's.
     */
    @Test
    void aSealOvertakenBeforeItWritesCannotReplaceTheSealThatFinished() throws Exception {
        UseCases quick = wire(Duration.ZERO); // a seal token may be taken over at once
        UUID id = quick.recordings().start(ADMIN, MACHINE, "ssh", null).sessionId();
        quick.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        // the first seal has hashed chunk 0 and checked its token; as its PUT goes out, chunk 1 arrives and another
        // complete takes the seal over and finishes it
        store.beforeNext(Op.PUT, () -> {
            quick.uploads().upload(ADMIN, id, 1, utf8(CHUNK1));
            quick.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
        });
        assertCode(ErrorCode.STORAGE_UNAVAILABLE,
                () -> quick.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null)));

        byte[] sealed = store.bytes(ObjectKey.cast(ORG, id));
        assertTrue(new String(sealed, StandardCharsets.UTF_8).contains("hello"), "the sealed object has chunk 1");
        String sha = Json.parseObject(quick.recordings().get(ADMIN, id).recording().metadataJson())
                .get("recording_sha256").asText();
        assertEquals(Hashing.hex(Hashing.sha256(sealed)), sha);
        var summary = Json.parseObject(new String(store.bytes(ObjectKey.summary(ORG, id)), StandardCharsets.UTF_8));
        assertEquals(sha, summary.get("recording_sha256").asText());
        assertEquals(2, summary.get("chunks").size(), summary.toString());
    }

    /**
     * complete answers once the recording is sealed; its chunk objects go afterwards, off the caller's time. Until
     * then the sealed recording is whole (the cast download is the one object) and nothing is lost if the cleanup
     * never runs: the orphan sweep deletes a sealed recording's chunk objects.
     */
    @Test
    void completeAnswersBeforeTheChunkObjectsAreDeleted() throws Exception {
        java.util.List<Runnable> cleanups = new java.util.ArrayList<>();
        UseCases deferred = wire(Duration.ofHours(1), cleanups::add);
        UUID id = deferred.recordings().start(ADMIN, MACHINE, "ssh", null).sessionId();
        deferred.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        deferred.uploads().upload(ADMIN, id, 1, utf8(CHUNK1));
        String active = download(id);
        deferred.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
        assertEquals(1, cleanups.size(), "one cleanup handed over, not yet run");
        assertTrue(store.contains(ObjectKey.chunk(ORG, id, 0)) && store.contains(ObjectKey.chunk(ORG, id, 1)));
        assertEquals(active, new String(store.bytes(ObjectKey.cast(ORG, id)), StandardCharsets.UTF_8));
        assertEquals(active, download(id), "sealed: served from the one object");
        cleanups.getFirst().run();
        assertFalse(store.contains(ObjectKey.chunk(ORG, id, 0)));
        assertFalse(store.contains(ObjectKey.chunk(ORG, id, 1)));
        assertTrue(store.contains(ObjectKey.cast(ORG, id)));
    }

    @Test
    void aFailedChunkDeletionAfterTheSealIsLeftToRetention() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        store.failNext(Op.DELETE, Fault.FAIL);
        uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
        assertTrue(store.contains(ObjectKey.chunk(ORG, id, 0)));
        uc.deletion().delete(ADMIN, id);
        assertEquals(List.of(), store.keys().stream().filter(k -> k.contains(id.toString())).toList());
    }

    @Test
    void aLostChunkIsStorageUnavailableNotNotFound() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        uc.uploads().upload(ADMIN, id, 1, utf8(CHUNK1));
        store.lose(ObjectKey.chunk(ORG, id, 1));
        CastvaultException e = assertThrows(StoreFailures.MissingObjectException.class,
                () -> uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null)));
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains(ObjectKey.chunk(ORG, id, 1).value()), "the message names the lost key");
        assertEquals("active", uc.recordings().get(ADMIN, id).recording().status().dbValue());
    }

    @Test
    void aChunkWhoseStoredBytesChangedIsNeverSealed() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        uc.uploads().upload(ADMIN, id, 1, utf8(CHUNK1));
        uc.uploads().upload(ADMIN, id, 2, utf8(CHUNK1));
        ObjectKey changed = ObjectKey.chunk(ORG, id, 1);
        byte[] bytes = store.bytes(changed);
        bytes[0] ^= 1; // same length, one bit different: only the SHA-256 tells
        store.plant(changed, bytes, java.time.Instant.now());
        CastvaultException e = assertThrows(StoreFailures.MissingObjectException.class,
                () -> uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null)));
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains(changed.value()), "the message names the changed key: " + e.getMessage());
        assertEquals("active", uc.recordings().get(ADMIN, id).recording().status().dbValue());
        assertFalse(store.contains(ObjectKey.cast(ORG, id)), "nothing sealed from bytes that were not acknowledged");

        store.plant(changed, java.util.Arrays.copyOf(bytes, bytes.length - 1), java.time.Instant.now());
        assertThrows(StoreFailures.MissingObjectException.class,
                () -> uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null)), "a shorter object too");
        assertEquals("active", uc.recordings().get(ADMIN, id).recording().status().dbValue());
    }

    @Test
    void theCompleterBacksOffARecordingWithALostChunk() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        store.lose(ObjectKey.chunk(ORG, id, 0));
        db.inOrg(ORG, tx -> TestSql.execute(tx, "UPDATE session_recordings SET started_at = now() - interval '2 days' WHERE id = ?", id)
                + TestSql.execute(tx, "UPDATE recording_chunks SET created_at = now() - interval '2 days' WHERE recording_id = ?", id));
        RetentionService.SweepReport first = uc.retention().sweep();
        assertTrue(first.autoCompleteFailures() >= 1, first.toString());
        RetentionService.SweepReport second = uc.retention().sweep();
        assertEquals(0, second.autoCompleteFailures(), "backed off, not retried every run: " + second);
        assertEquals(Long.valueOf(1), db.inOrg(ORG, tx -> (Long) TestSql.count(tx,
                "SELECT seal_failures::bigint FROM session_recordings WHERE id = ?", id)));
    }

    @Test
    void gapsAreRangesBoundedByTheChunksReceived() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        uc.uploads().upload(ADMIN, id, 1_000_000, utf8(CHUNK2));
        uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
        assertEquals("[[1,999999]]", Json.parseObject(uc.recordings().get(ADMIN, id).recording().metadataJson()).get("missing_chunks").toString());
    }

    @Test
    void aChunkClaimedDuringTheSealIsEitherInTheSealOrRefused() throws Exception {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        store.failNext(Op.PUT, k -> k.value().endsWith("recording.cast"), Fault.STALL);
        CompletableFuture<String> sealing = CompletableFuture.supplyAsync(
                () -> uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null)),
                java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        Thread.sleep(300);
        uc.uploads().upload(ADMIN, id, 1, utf8(CHUNK1)); // arrives while the seal waits on the store
        store.release();
        assertThrows(Exception.class, sealing::join); // the stalled put timed out
        uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
        assertTrue(download(id).contains("hello"), "the acknowledged chunk is in the sealed recording");
    }

    @Test
    void aChunkMarkedStoredWhileTheSealCommitsIsInTheSeal() throws Exception {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        // chunk 1's writer has claimed it and put its object, and is about to mark it stored
        byte[] bytes = CHUNK1.getBytes(StandardCharsets.UTF_8);
        byte[] sha = Hashing.sha256(bytes);
        assertTrue(WritePathQueries.chunkSteps(db, ORG, List.of(new WritePathQueries.ChunkClaim(id,
                new Chunk(1, sha, bytes.length, 1, 1.0, false, false), null))).getFirst().claim().claimed());
        store.put(ObjectKey.chunk(ORG, id, 1), bytes, sha, Recordings.CAST_CONTENT_TYPE);
        // A key-share lock on the claim's row: the writer's mark (an update) passes it, whereas the seal's commit
        // waits at its first step that locks the claim's row for itself, so the mark lands in the middle of it.
        boolean[] acknowledged = new boolean[1];
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<String> sealing = RowLocks.whileLocked(db, ORG,
                    "SELECT 1 FROM recording_chunks WHERE recording_id = ? AND chunk_index = 1 FOR KEY SHARE", new Object[] {id},
                    () -> threads.submit(() -> uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null))),
                    () -> acknowledged[0] = WritePathQueries.chunkSteps(db, ORG,
                            List.of(new WritePathQueries.StoredMark(id, 1, sha))).getFirst().marked());
            sealing.get(30, TimeUnit.SECONDS);
        }
        assertTrue(acknowledged[0], "the writer's mark went through");
        assertTrue(download(id).contains("hello"), "the chunk acknowledged while the seal committed is in the seal");
    }

    // --- delete and sweep --------------------------------------------------------------------------------------

    @Test
    void aFailedDeleteHidesTheRecordingAndTheSweeperFinishesIt() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null));
        store.failAlways(Op.DELETE, Fault.FAIL);
        assertCode(ErrorCode.STORAGE_UNAVAILABLE, () -> uc.deletion().delete(ADMIN, id));
        assertCode(ErrorCode.NOT_FOUND, () -> uc.recordings().get(ADMIN, id));
        store.heal();
        RetentionService.SweepReport report = uc.retention().sweep();
        assertTrue(report.recordingsDeleted() >= 1, report.toString());
        assertEquals(List.of(), store.keys().stream().filter(k -> k.contains(id.toString())).toList());
    }

    /**
     * A chunk claimed before the delete action, whose PUT lands after the action listed and deleted the
     * recording's objects: the upload is refused, and its object, which no row names any more, is deleted by the
     * sweeper once the lease is over (when no PUT of a claim can still land), not a day later by the orphan sweep.
     */
    @Test
    void aChunkPutLandingAfterTheDeleteActionIsDeletedOnceTheLeaseIsOver() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        ObjectKey late = ObjectKey.chunk(ORG, id, 1);
        store.beforeNext(Op.PUT, () -> uc.deletion().delete(ADMIN, id));
        assertCode(ErrorCode.CONFLICT, () -> uc.uploads().upload(ADMIN, id, 1, utf8(CHUNK1)));
        assertCode(ErrorCode.NOT_FOUND, () -> uc.recordings().get(ADMIN, id));
        assertTrue(store.contains(late), "the PUT landed after the deletion");
        assertFalse(store.contains(ObjectKey.chunk(ORG, id, 0)), "what was there when the action listed is gone");
        goneOnlyOnceTheLeaseIsOver(id);
    }

    /** The same for retention: an expired recording removed while one of its chunks is being put. */
    @Test
    void aChunkPutLandingAfterRetentionRemovedItsRecordingIsDeletedOnceTheLeaseIsOver() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        expire(id);
        ObjectKey late = ObjectKey.chunk(ORG, id, 1);
        store.beforeNext(Op.PUT, () -> assertEquals(1, uc.retention().sweep().recordingsDeleted()));
        assertCode(ErrorCode.CONFLICT, () -> uc.uploads().upload(ADMIN, id, 1, utf8(CHUNK1)));
        assertTrue(store.contains(late), "the PUT landed after the removal's objects were deleted");
        assertFalse(store.contains(ObjectKey.chunk(ORG, id, 0)));
        goneOnlyOnceTheLeaseIsOver(id);
    }

    /** A seal's PUT that lands after the delete action: its cast and summary go once the lease is over. */
    @Test
    void aSealsObjectsLandingAfterTheDeleteActionAreDeletedOnceTheLeaseIsOver() {
        UUID id = start();
        uc.uploads().upload(ADMIN, id, 0, utf8(CHUNK0));
        store.beforeNext(Op.PUT, () -> uc.deletion().delete(ADMIN, id));
        assertThrows(CastvaultException.class, () -> uc.sealing().complete(ADMIN, id, new Sealing.CompleteRequest(null, null, null)));
        assertTrue(store.contains(ObjectKey.cast(ORG, id)) || store.contains(ObjectKey.summary(ORG, id)),
                "the seal wrote after the deletion: " + store.keys());
        goneOnlyOnceTheLeaseIsOver(id);
    }

    /**
     * A sealed recording whose manifest is not recorded yet (its writer is on its way, or died) is deleted: the
     * manifest and its signature, written afterwards, go once the lease is over.
     */
    @Test
    void aManifestWrittenAfterTheDeleteActionIsDeletedOnceTheLeaseIsOver() {
        UUID id = sealedRecordingWithoutManifest();
        uc.deletion().delete(ADMIN, id);
        putManifest(id);
        goneOnlyOnceTheLeaseIsOver(id);
    }

    /**
     * What landed after recording {@code id} was deleted stays through a sweep within the lease (a write might still
     * be on its way), named by a removal, and goes with the first sweep after the lease.
     */
    void goneOnlyOnceTheLeaseIsOver(UUID id) {
        uc.retention().sweep();
        assertFalse(objectsGone(id), "left for after the lease: " + store.keys());
        assertEquals(1, removalsNaming(id), "named by a removal meanwhile");
        wire(Duration.ZERO).retention().sweep();
        assertTrue(objectsGone(id), "deleted once the lease is over: " + store.keys());
        assertEquals(0, removalsNaming(id));
    }

    /** Recording {@code id} is older than any retention now. */
    void expire(UUID id) {
        db.inOrg(ORG, tx -> TestSql.execute(tx,
                "UPDATE session_recordings SET started_at = now() - interval '400 days' WHERE id = ?", id));
    }

    boolean objectsGone(UUID id) {
        return store.keys().stream().noneMatch(k -> k.contains(id.toString()));
    }

    /** The removals of this org that still name recording {@code id}. */
    int removalsNaming(UUID id) {
        return (int) (long) db.inOrg(ORG, tx -> TestSql.removalsNaming(tx, id));
    }

    @Test
    void deletionTakesWhatTheRemovingHandsOverWhileItGoesOnThenWhatElseIsLeft() throws Exception {
        UUID[] ids = new UUID[4];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = sealedRecording();
        }
        // what a retention run hands over is removed and held; the removal made here stands for one of its batches
        java.util.function.IntFunction<List<RemovalQueries.ObjectRemoval>> expireAndRemove = i -> {
            expire(ids[i]);
            List<RemovalQueries.ObjectRemoval> removed = db.inOrg(ORG, tx -> RemovalQueries.removeExpired(tx, 10, Deletion.BATCH));
            assertEquals(List.of(ids[i]), removed.stream().flatMap(r -> r.recordings().stream())
                    .map(RemovalQueries.RemovedRecording::id).toList());
            return removed;
        };
        Deletion.Handover handover = new Deletion.Handover();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var deleting = pool.submit(() -> uc.deletion().deleteRemoved(ORG, handover));
            try {
                assertTrue(handover.add(expireAndRemove.apply(0)));
                awaitTrue(() -> objectsGone(ids[0]) && removalsNaming(ids[0]) == 0,
                        "the removal handed over first is done while the removing goes on");
                // marked elsewhere (a delete action whose deletion failed): left for after the removing
                db.inOrg(ORG, tx -> RecordingQueries.markDeleting(tx, ids[3]));
                assertTrue(handover.add(expireAndRemove.apply(1)));
                awaitTrue(() -> objectsGone(ids[1]) && removalsNaming(ids[1]) == 0,
                        "one handed over later is done too: the deletion waited for it");
                assertFalse(objectsGone(ids[3]), "what the removing did not hand over waits until the removing ends");
                assertFalse(deleting.isDone(), "still waiting: the removing has not ended");
            } finally {
                handover.end();
            }
            Deletion.Outcome outcome = deleting.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(3, outcome.recordingsDeleted());
        }
        assertTrue(objectsGone(ids[3]) && removalsNaming(ids[3]) == 0,
                "the recording marked elsewhere was turned into a removal and done once the removing ended");
        assertEquals("0", db.inOrg(ORG, tx -> TestSql.text(tx, "SELECT count(*) FROM session_recordings WHERE id = ?", ids[3])));
        assertFalse(objectsGone(ids[2]), "a recording neither expired nor marked is kept");
    }

    @Test
    void aDeletionHasAtMostTwoCallsInTheStoreHoweverManyRemovalsItWorksOn() throws Exception {
        uc.deletion().deleteRemoved(ORG); // what earlier tests left, so that only these three are held
        UUID[] ids = new UUID[3];
        RemovalQueries.ObjectRemoval[] removals = new RemovalQueries.ObjectRemoval[3];
        for (int i = 0; i < ids.length; i++) {
            UUID id = sealedRecording();
            ids[i] = id;
            removals[i] = db.inOrg(ORG, tx -> {
                RecordingQueries.markDeleting(tx, id);
                return RemovalQueries.removeMarked(tx, 10, Deletion.BATCH);
            }).getFirst();
            assertEquals(id, removals[i].recordings().getFirst().id());
        }
        java.util.concurrent.atomic.AtomicInteger inStore = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger mostInStore = new java.util.concurrent.atomic.AtomicInteger();
        io.castvault.storage.BlobStore counted = (io.castvault.storage.BlobStore) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[]{io.castvault.storage.BlobStore.class}, (proxy, method, args) -> {
                    boolean delete = method.getName().equals("delete");
                    if (delete) {
                        mostInStore.accumulateAndGet(inStore.incrementAndGet(), Math::max);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        if (delete) {
                            inStore.decrementAndGet();
                        }
                    }
                });
        store.failNext(Op.DELETE, k -> k.value().contains(ids[0].toString()), Fault.STALL)
                .failNext(Op.DELETE, k -> k.value().contains(ids[1].toString()), Fault.STALL);
        Deletion.Handover handover = new Deletion.Handover();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var deleting = pool.submit(() -> new Deletion(db, StorePlacement.only(counted), Duration.ofHours(1)).deleteRemoved(ORG, handover));
            try {
                assertTrue(handover.add(List.of(removals[0])));
                assertTrue(handover.add(List.of(removals[1])));
                awaitTrue(() -> inStore.get() == Deletion.STORE_CALLS, "two removals stalled in the store");
                assertTrue(handover.add(List.of(removals[2])));
                Thread.sleep(300); // time enough for a free worker to reach the store if nothing held it back
                assertEquals(Deletion.STORE_CALLS, mostInStore.get(), "the third removal waits for a store call to end");
                assertTrue(store.contains(ObjectKey.summary(ORG, ids[2])));
            } finally {
                store.release();
                handover.end();
            }
            Deletion.Outcome outcome = deleting.get(10, TimeUnit.SECONDS);
            assertEquals(2, outcome.recordingsFailed(), "the stalled calls failed as timed-out calls do");
        }
        assertEquals(List.of(1, 1, 0), java.util.Arrays.stream(ids).map(this::removalsNaming).toList(),
                "the stalled two are still named by their removals for a later run; the third's is done");
        assertFalse(store.contains(ObjectKey.summary(ORG, ids[2])));
        assertEquals(Deletion.STORE_CALLS, mostInStore.get());
        // released, the next run finishes the two (and leaves nothing for later tests)
        assertEquals(2, uc.deletion().deleteRemoved(ORG).recordingsDeleted());
        assertTrue(objectsGone(ids[0]) && objectsGone(ids[1]));
        assertEquals(List.of(0, 0), java.util.Arrays.stream(ids).limit(2).map(this::removalsNaming).toList());
    }

    @Test
    void aRemovalWhoseObjectsWereNotAllDeletedKeepsOnlyThoseRecordingsForTheNextRun() {
        uc.deletion().deleteRemoved(ORG); // what earlier tests left
        UUID done = sealedRecording();
        UUID failing = sealedRecording();
        expire(done);
        expire(failing);
        List<RemovalQueries.ObjectRemoval> removed = db.inOrg(ORG, tx -> RemovalQueries.removeExpired(tx, 10, Deletion.BATCH));
        assertEquals(1, removed.size(), "both in one removal");
        store.failNext(Op.DELETE, k -> k.equals(ObjectKey.summary(ORG, failing)), Fault.FAIL);
        db.inOrg(ORG, tx -> TestSql.execute(tx, "UPDATE object_removals SET claimed_at = NULL"));
        Deletion.Outcome first = uc.deletion().deleteRemoved(ORG);
        assertEquals(List.of(1, 1), List.of(first.recordingsDeleted(), first.recordingsFailed()), first.toString());
        assertEquals(List.of(0, 1), List.of(removalsNaming(done), removalsNaming(failing)),
                "the removal names only the recording whose object is left");
        assertTrue(objectsGone(done));
        assertTrue(store.contains(ObjectKey.summary(ORG, failing)) && !store.contains(ObjectKey.cast(ORG, failing)),
                "what could be deleted was");
        Deletion.Outcome second = uc.deletion().deleteRemoved(ORG);
        assertEquals(1, second.recordingsDeleted(), "released, so the next run takes it at once: " + second);
        assertTrue(objectsGone(failing));
        assertEquals(0, removalsNaming(failing));
    }

    @Test
    void aRemovalNamesTheObjectsItsRowsSaidExistAndIsHeldSoNoOtherSweeperTakesItMeanwhile() {
        uc.deletion().deleteRemoved(ORG); // what earlier tests left
        UUID sealed = sealedRecording();
        UUID active = start();
        uc.uploads().upload(ADMIN, active, 0, utf8(CHUNK0));
        uc.uploads().upload(ADMIN, active, 1, utf8("[1.0, \"o\", \"b\"]\n"));
        start(); // a fresh one, not expired
        expire(sealed);
        expire(active);
        List<RemovalQueries.ObjectRemoval> removed = db.inOrg(ORG, tx -> RemovalQueries.removeExpired(tx, 10, 1));
        assertEquals(2, removed.size(), "one removal per slice of one recording " + sealed + " " + active + " " + removed);
        var byId = removed.stream().flatMap(r -> r.recordings().stream())
                .collect(java.util.stream.Collectors.toMap(RemovalQueries.RemovedRecording::id, r -> r));
        assertEquals(new RemovalQueries.RemovedRecording(ORG, sealed, null, true, true, List.of()), byId.get(sealed),
                "sealed: its cast and manifest, no chunk objects left");
        assertEquals(new RemovalQueries.RemovedRecording(ORG, active, null, false, false, List.of(0, 1)), byId.get(active),
                "active: its chunk objects");
        assertEquals("0", db.inOrg(ORG, tx -> TestSql.text(tx,
                "SELECT count(*) FROM session_recordings WHERE id = ? OR id = ?", sealed, active)), "the rows are gone");
        assertEquals(List.of(), db.acrossOrgs(tx -> RemovalQueries.lease(tx, 10, 3600, List.of())),
                "another sweeper finds them held");
        assertEquals(removed.stream().map(RemovalQueries.ObjectRemoval::id).sorted().toList(),
                db.acrossOrgs(tx -> RemovalQueries.lease(tx, 10, 0, List.of())).stream()
                        .map(RemovalQueries.ObjectRemoval::id).toList(), "once the lease has run out they are taken over");
        // given back (as a deletion that failed gives them back), the next run takes them at once
        db.inOrg(ORG, tx -> TestSql.execute(tx, "UPDATE object_removals SET claimed_at = NULL"));
        assertEquals(2, uc.deletion().deleteRemoved(ORG).recordingsDeleted());
        assertTrue(objectsGone(sealed) && objectsGone(active));
    }

    @Test
    void aRemovingNeverWaitsOnADeletionThatHasEnded() {
        Deletion.Handover handover = new Deletion.Handover();
        List<RemovalQueries.ObjectRemoval> batch = java.util.stream.IntStream.range(0, 30)
                .mapToObj(i -> new RemovalQueries.ObjectRemoval(i, ORG, List.of())).toList();
        handover.close();
        long start = System.nanoTime();
        assertFalse(handover.add(batch), "the removing is told to stop");
        handover.end();
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "more removals than the hand-over holds, and no wait");
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(10);
        }
    }

    @Test
    void theOrphanSweepRemovesOldObjectsNoRowNamesAndKeepsTheRest() {
        UUID live = start();
        uc.uploads().upload(ADMIN, live, 0, utf8(CHUNK0));
        UUID gone = UUID.randomUUID();
        Instant old = Instant.now().minus(Duration.ofDays(3));
        store.plant(ObjectKey.chunk(ORG, gone, 0), "x".getBytes(), old);
        store.plant(ObjectKey.cast(ORG, gone), "x".getBytes(), old);
        store.plant(ObjectKey.summary(ORG, gone), "x".getBytes(), old);
        UUID young = UUID.randomUUID();
        store.plant(ObjectKey.cast(ORG, young), "x".getBytes(), Instant.now());
        // an old object of a live, active recording stays (a released claim may be re-claimed)
        store.plant(ObjectKey.chunk(ORG, live, 5), "x".getBytes(), old);

        OrphanSweep sweep = new OrphanSweep(db, store, Duration.ofHours(24), 2);
        for (int run = 0; run < 10; run++) {
            sweep.run(); // two keys per run: several runs walk the whole bucket
        }
        assertFalse(store.contains(ObjectKey.chunk(ORG, gone, 0)));
        assertFalse(store.contains(ObjectKey.cast(ORG, gone)));
        assertFalse(store.contains(ObjectKey.summary(ORG, gone)));
        assertTrue(store.contains(ObjectKey.cast(ORG, young)), "younger than the grace period");
        assertTrue(store.contains(ObjectKey.chunk(ORG, live, 0)));
        assertTrue(store.contains(ObjectKey.chunk(ORG, live, 5)));
    }

    static final byte[] AGENT_CAST = ("{\"version\": 2, \"width\": 80, \"height\": 24}\n" + CHUNK0).getBytes(StandardCharsets.UTF_8);

    /** An agent's whole recording, as agent ingest hands it over. */
    static UUID ingest(UseCases uc) throws java.io.IOException {
        Path file = java.nio.file.Files.createTempFile("cv-ingest", ".cast");
        try {
            java.nio.file.Files.write(file, AGENT_CAST);
            var cast = io.castvault.core.CastParser.inspect(new String(AGENT_CAST, StandardCharsets.UTF_8),
                    io.castvault.core.CastParser.forChunk(true));
            return uc.sealing().sealIngested(ORG, MACHINE, USER, "ssh", Json.MAPPER.createObjectNode(), file,
                    AGENT_CAST.length, Hashing.sha256(AGENT_CAST), cast, null, RequestContext.NONE, "agent_upload");
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void agentIngestPutsBeforeItCommitsAndDeletesNothingOnFailure() throws Exception {
        store.failNext(Op.PUT, k -> k.value().endsWith("recording.json"), Fault.FAIL);
        assertCode(ErrorCode.STORAGE_UNAVAILABLE, () -> {
            try {
                ingest(uc);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        UUID id = ingest(uc);
        assertEquals(new String(AGENT_CAST, StandardCharsets.UTF_8), download(id));
        assertEquals(io.castvault.core.model.RecordingStatus.COMPLETED, uc.recordings().get(ADMIN, id).recording().status());
    }

    // --- a storage mode switch during agent ingest (issue 18) ------------------------------------------------------

    /**
     * The admin switches the org's storage mode while an agent's recording goes up, after its store was chosen and
     * before its row is inserted (whose trigger reads the settings again): the row names the store the bytes went
     * to, in both directions, and the other store has nothing of the recording.
     */
    @Test
    void aModeSwitchDuringAgentIngestLeavesTheRowNamingTheStoreTheBytesWentTo() throws Exception {
        FaultyBlobStore orgStore = new FaultyBlobStore();
        UUID storeId = db.inOrg(ORG, tx -> {
            UUID id = StorageQueries.save(tx, new StorageQueries.NewStore("https://s3.example.com", "us-east-1",
                    "org-bucket", "", true, new byte[]{1}, new byte[]{2}));
            StorageQueries.setCurrent(tx, id);
            return id;
        });
        // as BlobStores places a recording: the org's active store when its first byte goes up
        StorePlacement byMode = new StorePlacement() {
            @Override
            public Placement place(UUID org) {
                return db.inOrg(org, StorageQueries::active).map(id -> new Placement(id, orgStore))
                        .orElseGet(() -> new Placement(null, store));
            }

            @Override
            public io.castvault.storage.BlobStore placed(UUID org, UUID id) {
                return id == null ? store : orgStore;
            }
        };
        UseCases routed = UseCases.wire(db, store, byMode, new UseCases.Settings(1 << 20, 4, Duration.ofHours(1),
                Duration.ofHours(24), Duration.ofHours(24), 1000, Path.of(System.getProperty("java.io.tmpdir"))),
                SealListener.NONE);
        try {
            storageMode("custom");
            orgStore.beforeNext(Op.PUT, () -> storageMode("platform"));
            UUID toOrg = ingest(routed);
            assertTrue(db.inOrg(ORG, StorageQueries::active).isEmpty(), "the switch happened during the upload");
            assertEquals(storeId, db.inOrg(ORG, tx -> StorageQueries.storeOf(tx, toOrg)).orElseThrow().storeId());
            assertTrue(orgStore.contains(ObjectKey.cast(ORG, toOrg)) && orgStore.contains(ObjectKey.summary(ORG, toOrg)));
            assertFalse(store.contains(ObjectKey.cast(ORG, toOrg)) || store.contains(ObjectKey.summary(ORG, toOrg)));

            store.beforeNext(Op.PUT, () -> storageMode("custom"));
            UUID toPlatform = ingest(routed);
            assertEquals(storeId, db.inOrg(ORG, StorageQueries::active).orElseThrow(), "switched back meanwhile");
            assertEquals(null, db.inOrg(ORG, tx -> StorageQueries.storeOf(tx, toPlatform)).orElseThrow().storeId());
            assertTrue(store.contains(ObjectKey.cast(ORG, toPlatform)) && store.contains(ObjectKey.summary(ORG, toPlatform)));
            assertFalse(orgStore.contains(ObjectKey.cast(ORG, toPlatform)) || orgStore.contains(ObjectKey.summary(ORG, toPlatform)));

            // retention removes the rows first; each recording's objects are then deleted where its row said
            expire(toOrg);
            expire(toPlatform);
            routed.deletion().deleteRemoved(ORG); // what earlier tests left
            RetentionService.SweepReport swept = routed.retention().sweep();
            assertEquals(2, swept.recordingsDeleted(), swept.toString());
            assertFalse(orgStore.contains(ObjectKey.cast(ORG, toOrg)) || orgStore.contains(ObjectKey.summary(ORG, toOrg)));
            assertFalse(store.contains(ObjectKey.cast(ORG, toPlatform)) || store.contains(ObjectKey.summary(ORG, toPlatform)));
        } finally {
            storageMode("platform");
        }
    }

    static void storageMode(String mode) {
        db.inOrg(ORG, tx -> {
            SettingsQueries.update(tx, null, null, mode);
            return null;
        });
    }
}
