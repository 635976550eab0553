package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.core.Hashing;
import io.castvault.db.Database;
import io.castvault.db.TestSql;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.S3BlobStore;
import io.castvault.storage.StorageException;
import org.jooq.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 12: the packaged service gets {@code kill -9} at random moments while clients upload chunks, complete and
 * delete recordings, an admin calls {@code cleanup} and the sweeper runs (every second, over recordings the test
 * backdates past retention too), and is restarted on the same database and bucket each time. Right after each
 * kill, with nothing running, no row names a missing or altered object and every acknowledged chunk has its stored
 * row. After the last restart the clients retry what they were not told succeeded; then every acknowledged chunk is
 * in its sealed recording (downloaded, hashed, compared with what was sent). The orphan grace outlasts the run, so
 * what is left then was left by the write path's own steps: every object's recording still has its row, but for
 * chunk objects of sealed recordings (a seal killed before it deleted them: the orphan sweep's by design). Restarted
 * with a short grace, after one sweep no object is without its row. Seeded: {@code -Dcastvault.crash.seed=S}
 * replays the kill moments and the clients' plans (the interleaving is the machine's).
 */
class CrashKillIT {
    private static final int KILLS = 3;
    private static final int CLIENTS = 4;
    private static final int CHUNKS = 8;
    private static final int LINES_PER_CHUNK = 12;
    /**
     * Longer than the run: no stray is the orphan sweep's until the last restart, whose grace is {@link
     * #SHORT_ORPHAN_GRACE}, so a stray the write path should have deleted itself is seen, not swept away.
     */
    private static final Duration ORPHAN_GRACE = Duration.ofHours(1);
    private static final Duration SHORT_ORPHAN_GRACE = Duration.ofSeconds(1);
    /**
     * A claim, seal token or deletion lease of a killed process is taken over after ten S3 call timeouts plus a
     * minute (3 s here, so 90 s); what the clients and the sweeper wait for after the last kill.
     */
    private static final Duration PATIENCE = Duration.ofSeconds(150);
    private static final String SWEEPS = "castvault_sweep_duration_seconds_count";

    /**
     * What a client does with one recording: upload its chunks and complete it, the last chunk racing the complete;
     * then delete it, or backdate it past retention; or send a delete halfway through the uploads.
     */
    private enum Plan {
        KEEP, DELETE, EXPIRE, DELETE_WHILE_UPLOADING
    }

    /** The client's view of one recording. */
    private static final class Rec {
        final UUID id;
        final Plan plan;
        final Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
        /** A delete was sent (answered or not) or the recording was backdated past retention: it may be gone. */
        volatile boolean doomed;

        Rec(UUID id, Plan plan) {
            this.id = id;
            this.plan = plan;
        }
    }

    /** A definitive answer, and whether an earlier attempt went unanswered (so it may have taken effect). */
    private record Answer(int status, JsonNode body, boolean ambiguous) {
        String code() {
            return body.path("error").path("code").asText();
        }
    }

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Queue<Rec> recordings = new ConcurrentLinkedQueue<>();
    /** Recordings whose complete a killed process's seal token still blocks; retried after the last restart. */
    private final Queue<Rec> unsealed = new ConcurrentLinkedQueue<>();
    private final AtomicInteger acks = new AtomicInteger();
    private final AtomicInteger heldUp = new AtomicInteger();
    /** Requests that got no answer for another reason than a refused connection: the kill cut them off. */
    private final AtomicInteger cutOff = new AtomicInteger();
    private volatile boolean stopping;
    private PackagedService service;
    private PackagedService.Tenant tenant;
    private Database db;
    private S3BlobStore bucket;
    private Path spool;

    @AfterEach
    void stop() throws IOException {
        stopping = true;
        threads.shutdownNow();
        if (service != null) {
            service.close();
        }
        if (db != null) {
            db.close();
        }
        if (bucket != null) {
            bucket.close();
        }
        if (spool != null) {
            try (var files = Files.walk(spool)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void acknowledgedChunksSurviveKillNineAndNothingIsLeftBehind() throws Exception {
        long seed = Long.getLong("castvault.crash.seed", System.nanoTime());
        System.out.println("CrashKillIT seed " + seed + " (replay: -Dcastvault.crash.seed=" + seed + ")");
        try {
            run(seed);
        } catch (AssertionError | Exception e) {
            throw new AssertionError("seed " + seed + " (replay: -Dcastvault.crash.seed=" + seed + "), " + progress()
                    + ": " + e.getMessage() + "\nlog of the last start:\n" + tail(service == null ? null : service.log()), e);
        }
    }

    private void run(long seed) throws Exception {
        Random random = new Random(seed);
        spool = Files.createTempDirectory("castvault-crash-spool");
        service = new PackagedService(Map.of(
                "RETENTION_SWEEP_INTERVAL", "1s",
                "ORPHAN_GRACE", ORPHAN_GRACE.toSeconds() + "s",
                // short, for short leases, yet long enough for a cold service on a busy machine
                "S3_ATTEMPT_TIMEOUT", "3s",
                "S3_CALL_TIMEOUT", "3s",
                // seals a killed process was spooling leave their files here, not in the machine's /tmp
                "SPOOL_DIR", spool.toString()),
                List.of("-Dcastvault.retention.initial-delay=1s"));
        service.start();
        tenant = service.provision("crash");
        db = service.database();
        bucket = service.bucket();

        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            Random own = new Random(seed + c + 1);
            Plan first = Plan.values()[c % Plan.values().length];
            clients.add(threads.submit(() -> {
                client(first, own);
                return null;
            }));
        }
        clients.add(threads.submit(() -> {
            cleanups();
            return null;
        }));

        long begin = System.nanoTime();
        String killed = null; // the database's clock, which the leases are taken by
        for (int kill = 1; kill <= KILLS; kill++) {
            // a moment while the service is at work, not while it is still warming up
            int acknowledged = acks.get();
            await("a chunk acknowledged before kill " + kill, () -> acks.get() > acknowledged);
            int after = 500 + random.nextInt(3_000);
            Thread.sleep(after);
            service.kill();
            killed = sql("SELECT now()::text").get(0).get(0, String.class);
            System.out.printf("CrashKillIT: kill %d, %d ms into the round: %s%n", kill, after, progress());
            rowsNameTheirObjects("after kill " + kill);
            acknowledgedChunksAreStored("after kill " + kill);
            service.start();
        }
        long restarted = System.nanoTime();
        // The clients carry on while what the killed processes held (seal tokens, removals) runs out, and
        // retry the completes those held up.
        String lastKill = killed;
        await("the killed processes' seals and removals taken over", () -> sealHeldUp()
                && sql("SELECT (SELECT count(*) FROM session_recordings WHERE seal_started_at <= ?::timestamptz)"
                        + " + (SELECT count(*) FROM object_removals WHERE claimed_at <= ?::timestamptz)",
                lastKill, lastKill).get(0).get(0, Long.class) == 0);
        stopping = true;
        for (Future<?> client : clients) {
            join(client);
        }
        await("the completes held up meanwhile", this::sealHeldUp);
        Set<UUID> doomed = new HashSet<>();
        recordings.stream().filter(r -> r.doomed).forEach(r -> doomed.add(r.id));
        await("the doomed recordings' rows and removals done (a killed sweeper's lease runs out first)", () -> {
            List<UUID> rows = ids("SELECT id FROM session_recordings");
            return rows.stream().noneMatch(doomed::contains) && ids("SELECT id FROM session_recordings WHERE status = 'deleting'").isEmpty()
                    && sql("SELECT count(*) FROM object_removals").get(0).get(0, Long.class) == 0;
        });

        long settled = System.nanoTime();
        noObjectWithoutItsRow(true);

        // the service again (idle: a kill loses nothing now) with a short orphan grace, and one sweep that began
        // after every stray had outlived it
        service.kill();
        service.start(Map.of("ORPHAN_GRACE", SHORT_ORPHAN_GRACE.toSeconds() + "s"));
        Thread.sleep(SHORT_ORPHAN_GRACE.toMillis() + 200);
        double sweeps = service.metric(SWEEPS);
        await("two more sweeps", () -> service.metric(SWEEPS) >= sweeps + 2);

        rowsNameTheirObjects("at the end");
        acknowledgedChunksAreStored("at the end");
        everyAcknowledgedChunkIsInItsSealedRecording();
        noObjectWithoutItsRow(false);
        assertTrue(cutOff.get() > 0, "the kills cut requests off in flight");
        System.out.printf("CrashKillIT: %s; kills and restarts %.0f s, retries until nothing was held %.0f s, "
                + "sweep and checks %.0f s%n", progress(), (restarted - begin) / 1e9, (settled - restarted) / 1e9,
                (System.nanoTime() - settled) / 1e9);
    }

    private String progress() {
        return String.format("%d recordings (%d deleted or expired), %d chunks acknowledged, %d completes held by a "
                        + "killed seal", recordings.size(), recordings.stream().filter(r -> r.doomed).count(),
                recordings.stream().mapToInt(r -> r.acknowledged.size()).sum(), heldUp.get());
    }

    // --- the clients ------------------------------------------------------------------------------------------

    /** Each client's first plan differs, so every plan is carried out whatever the machine's speed. */
    private void client(Plan first, Random random) throws Exception {
        Plan plan = first;
        while (!stopping) {
            Answer started = call(Map.of("action", "start", "machine_id", tenant.machine().toString(), "session_type", "ssh"));
            assertEquals(201, started.status(), started.body().toString());
            Rec rec = new Rec(UUID.fromString(started.body().get("data").get("session_id").asText()), plan);
            recordings.add(rec);
            if (plan == Plan.DELETE_WHILE_UPLOADING) {
                uploadWhileDeleting(rec);
            } else {
                uploadAndComplete(rec);
            }
            int p = random.nextInt(10);
            plan = p < 4 ? Plan.KEEP : p < 6 ? Plan.DELETE : p < 8 ? Plan.DELETE_WHILE_UPLOADING : Plan.EXPIRE;
        }
    }

    private void uploadAndComplete(Rec rec) throws Exception {
        for (int i = 0; i < CHUNKS - 1; i++) {
            Answer a = upload(rec, i);
            assertEquals(200, a.status(), "chunk " + i + " of " + rec.id + ": " + a.body());
        }
        // the last chunk races the complete: acknowledged (then it must be in the seal) or refused, never lost
        Future<Answer> last = threads.submit(() -> upload(rec, CHUNKS - 1));
        boolean sealed = complete(rec);
        Answer a = join(last);
        assertTrue(a.status() == 200 || a.status() == 409 && "CONFLICT".equals(a.code()),
                "the last chunk of " + rec.id + ": " + a.body());
        if (sealed) {
            afterComplete(rec);
        } else {
            heldUp.incrementAndGet();
            unsealed.add(rec);
        }
    }

    /** Retries each complete a killed process's seal held up; true when none is left. */
    private boolean sealHeldUp() throws Exception {
        for (Rec rec : unsealed) {
            if (complete(rec)) {
                unsealed.remove(rec);
                afterComplete(rec);
            }
        }
        return unsealed.isEmpty();
    }

    private void uploadWhileDeleting(Rec rec) throws Exception {
        Future<Answer> delete = null;
        for (int i = 0; i < CHUNKS; i++) {
            if (i == CHUNKS / 2) {
                rec.doomed = true;
                delete = threads.submit(() -> call(Map.of("action", "delete", "session_id", rec.id.toString())));
            }
            Answer a = upload(rec, i);
            if (a.status() != 200) {
                // the delete got there first
                assertTrue(delete != null && (a.status() == 404 || a.status() == 409), "chunk " + i + " of " + rec.id + ": " + a.body());
                break;
            }
        }
        assertDeleted(rec, join(delete));
    }

    /** What comes once the recording is sealed: the delete or the backdating its plan says. */
    private void afterComplete(Rec rec) throws Exception {
        if (rec.plan == Plan.DELETE) {
            rec.doomed = true;
            assertDeleted(rec, call(Map.of("action", "delete", "session_id", rec.id.toString())));
        } else if (rec.plan == Plan.EXPIRE) {
            rec.doomed = true;
            // past the default retention of 90 days: the next cleanup or sweep removes it
            db.acrossOrgs(tx -> TestSql.execute(tx,
                    "UPDATE session_recordings SET started_at = now() - interval '100 days' WHERE id = ?", rec.id));
        }
    }

    private static void assertDeleted(Rec rec, Answer a) {
        // 404: an earlier attempt, unanswered, had already hidden it
        assertTrue(a.status() == 200 || a.status() == 404 && a.ambiguous(), "delete of " + rec.id + ": " + a.body());
    }

    private Answer upload(Rec rec, int index) throws Exception {
        Answer a = call(Map.of("action", "upload_chunk", "session_id", rec.id.toString(), "chunk_index", index,
                "chunk_data", chunk(rec.id, index)));
        if (a.status() == 200) {
            rec.acknowledged.add(index);
            acks.incrementAndGet();
        }
        return a;
    }

    /**
     * True once the recording is sealed: answered 200, or refused because an earlier, unanswered complete sealed it.
     * False while a seal of a killed process holds it.
     */
    private boolean complete(Rec rec) throws Exception {
        Answer a = call(Map.of("action", "complete", "session_id", rec.id.toString()));
        if (a.status() == 200) {
            return true;
        }
        assertEquals(409, a.status(), "complete of " + rec.id + ": " + a.body());
        Answer got = call(Map.of("action", "get", "session_id", rec.id.toString()));
        assertEquals(200, got.status(), "get of " + rec.id + ": " + got.body());
        return "completed".equals(got.body().get("data").get("recording").get("status").asText());
    }

    private void cleanups() throws Exception {
        while (!stopping) {
            try {
                HttpResponse<String> r = service.action(tenant.token(), Map.of("action", "cleanup", "org_id", tenant.org().toString()));
                assertTrue(r.statusCode() == 200 || r.statusCode() == 503, "cleanup: " + r.body());
            } catch (IOException killed) {
                // the service is down; the next round asks the restarted one
            }
            Thread.sleep(300);
        }
    }

    /**
     * Sends until there is an answer other than 503 (the client's rule: a 503 and a lost answer are both retried),
     * for as long as a killed process's leases can hold something up.
     */
    private Answer call(Map<String, ?> fields) throws Exception {
        Map<String, Object> body = new HashMap<>(fields);
        body.put("org_id", tenant.org().toString());
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        boolean ambiguous = false;
        while (true) {
            try {
                HttpResponse<String> r = service.action(tenant.token(), body);
                if (r.statusCode() != 503) {
                    return new Answer(r.statusCode(), TestApp.JSON.readTree(r.body()), ambiguous);
                }
            } catch (ConnectException down) {
                // not back yet
            } catch (IOException noAnswer) {
                cutOff.incrementAndGet();
            }
            ambiguous = true;
            if (System.nanoTime() > deadline) {
                fail(body.get("action") + " got no answer in " + PATIENCE.toSeconds() + " s");
            }
            Thread.sleep(150);
        }
    }

    static String chunk(UUID id, int index) {
        StringBuilder s = new StringBuilder();
        for (int line = 0; line < LINES_PER_CHUNK; line++) {
            s.append('[').append(index * 100 + line).append(".5, \"o\", \"").append(id).append(" chunk ").append(index)
                    .append(" line ").append(line).append("\\r\\n\"]\n");
        }
        return s.toString();
    }

    // --- what must hold ---------------------------------------------------------------------------------------

    /**
     * Every object a row vouches for is there with the bytes it vouches for: the sealed cast and summary of a
     * completed recording, each stored chunk of an active one, a manifest whose hash was recorded.
     */
    private void rowsNameTheirObjects(String when) {
        for (Record r : sql("SELECT id, r2_key, sealed, metadata->>'recording_sha256' AS sha FROM session_recordings WHERE status = 'completed'")) {
            UUID id = r.get("id", UUID.class);
            assertTrue(r.get("sealed", Boolean.class), when + ": completed but not sealed: " + id);
            assertEquals(ObjectKey.summary(tenant.org(), id).value(), r.get("r2_key", String.class), when);
            assertTrue(bucket.head(ObjectKey.summary(tenant.org(), id)).isPresent(), when + ": summary of " + id + " missing");
            assertEquals(r.get("sha", String.class), sha256(ObjectKey.cast(tenant.org(), id)), when + ": cast of " + id);
        }
        for (Record r : sql("SELECT c.recording_id, c.chunk_index, c.sha256 FROM recording_chunks c "
                + "JOIN session_recordings r ON r.id = c.recording_id WHERE r.status = 'active' AND c.state = 'stored'")) {
            UUID id = r.get("recording_id", UUID.class);
            int index = r.get("chunk_index", Integer.class);
            assertEquals(Hashing.hex(r.get("sha256", byte[].class)), sha256(ObjectKey.chunk(tenant.org(), id, index)),
                    when + ": stored chunk " + index + " of active " + id);
        }
        for (Record r : sql("SELECT s.recording_id, s.manifest_sha256 FROM evidence_seals s JOIN session_recordings r "
                + "ON r.id = s.recording_id WHERE r.status = 'completed' AND s.manifest_sha256 IS NOT NULL")) {
            ObjectKey manifest = ObjectKey.manifest(tenant.org(), r.get("recording_id", UUID.class));
            assertEquals(Hashing.hex(r.get("manifest_sha256", byte[].class)), sha256(manifest), when + ": " + manifest);
            assertTrue(bucket.head(ObjectKey.signatureOf(manifest)).isPresent(), when + ": signature of " + manifest);
        }
    }

    /** An acknowledged chunk has its stored row with the bytes sent, unless its recording was meant to go. */
    private void acknowledgedChunksAreStored(String when) {
        Map<UUID, String> status = new HashMap<>();
        sql("SELECT id, status FROM session_recordings").forEach(r -> status.put(r.get("id", UUID.class), r.get("status", String.class)));
        Map<String, byte[]> stored = new HashMap<>();
        sql("SELECT recording_id, chunk_index, sha256 FROM recording_chunks WHERE state = 'stored'")
                .forEach(r -> stored.put(r.get("recording_id", UUID.class) + "/" + r.get("chunk_index", Integer.class), r.get("sha256", byte[].class)));
        for (Rec rec : recordings) {
            String s = status.get(rec.id);
            if (s == null || "deleting".equals(s)) {
                assertTrue(rec.doomed, when + ": recording " + rec.id + " is " + (s == null ? "gone" : s) + " though nobody deleted it");
                continue;
            }
            for (int index : rec.acknowledged) {
                assertArrayEquals(Hashing.sha256(chunk(rec.id, index).getBytes(StandardCharsets.UTF_8)), stored.get(rec.id + "/" + index),
                        when + ": acknowledged chunk " + index + " of " + rec.id + " (" + s + ")");
            }
        }
    }

    /**
     * The download of each kept recording is its header and then exactly the chunks it sealed, in order, each as
     * sent; every acknowledged chunk is among them; it hashes to its ETag and to {@code recording_sha256}, and the
     * summary lists the same chunks with their hashes.
     */
    private void everyAcknowledgedChunkIsInItsSealedRecording() throws Exception {
        Set<UUID> kept = new HashSet<>();
        for (Rec rec : recordings) {
            if (rec.doomed) {
                continue;
            }
            kept.add(rec.id);
            HttpResponse<byte[]> cast = service.get("/api/session-recording/" + tenant.org() + "/" + rec.id + "/cast", tenant.token());
            assertEquals(200, cast.statusCode(), "cast of " + rec.id);
            String body = new String(cast.body(), StandardCharsets.UTF_8);
            String sha = Hashing.hex(Hashing.sha256(cast.body()));
            assertEquals("\"" + sha + "\"", cast.headers().firstValue("ETag").orElse(null), "ETag of " + rec.id);

            String events = body.substring(body.indexOf('\n') + 1);
            TreeSet<Integer> sealed = new TreeSet<>();
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < CHUNKS; i++) {
                if (events.contains(chunk(rec.id, i))) {
                    sealed.add(i);
                    expected.append(chunk(rec.id, i));
                }
            }
            assertEquals(expected.toString(), events, "the events of " + rec.id + " are its chunks " + sealed + " in order");
            assertTrue(sealed.containsAll(rec.acknowledged), "recording " + rec.id + " sealed " + sealed
                    + " but chunks " + new TreeSet<>(rec.acknowledged) + " were acknowledged");

            Answer got = call(Map.of("action", "get", "session_id", rec.id.toString()));
            JsonNode summary = got.body().get("data").get("r2_data");
            assertEquals(sha, summary.get("recording_sha256").asText(), "summary of " + rec.id);
            assertEquals(sha, got.body().get("data").get("recording").get("metadata").get("recording_sha256").asText());
            TreeSet<Integer> listed = new TreeSet<>();
            for (JsonNode c : summary.get("chunks")) {
                int index = c.get("index").asInt();
                listed.add(index);
                assertEquals(Hashing.hex(Hashing.sha256(chunk(rec.id, index).getBytes(StandardCharsets.UTF_8))),
                        c.get("sha256").asText(), "summary of " + rec.id + ", chunk " + index);
            }
            assertEquals(sealed, listed, "the summary of " + rec.id + " lists the sealed chunks");
        }

        // a start whose answer the kill swallowed leaves a recording the client never heard of: empty and active
        for (Record r : sql("SELECT id, status, (SELECT count(*) FROM recording_chunks c WHERE c.recording_id = s.id) AS chunks "
                + "FROM session_recordings s")) {
            UUID id = r.get("id", UUID.class);
            if (!kept.contains(id)) {
                assertEquals("active", r.get("status", String.class), "recording " + id + " no client kept");
                assertEquals(0L, r.get("chunks", Long.class), "recording " + id + " no client kept");
            }
        }
    }

    /**
     * Every object belongs to a completed recording that has its row (the rest are deleted or expired by now), and a
     * sealed recording is its sealed cast, summary and manifest: no stray, and no chunk object unless {@code
     * sealedChunksLeft} (before the orphan sweep has had its turn, a killed seal's chunk objects may still be there).
     */
    private void noObjectWithoutItsRow(boolean sealedChunksLeft) {
        Map<UUID, String> status = new HashMap<>();
        sql("SELECT id, status FROM session_recordings").forEach(r -> status.put(r.get("id", UUID.class), r.get("status", String.class)));
        int objects = 0;
        for (ObjectKey.Prefix root : ObjectKey.roots()) {
            for (ObjectKey key : bucket.list(root)) {
                objects++;
                Optional<ObjectKey.Named> named = key.named();
                assertTrue(named.isPresent(), "an object outside the layout: " + key);
                assertEquals("completed", status.get(named.get().recordingId()), "object " + key + "'s recording");
                if (!sealedChunksLeft) {
                    assertNotEquals(ObjectKey.Kind.CHUNK, named.get().kind(), "a chunk object of a sealed recording: " + key);
                }
            }
        }
        assertTrue(objects > 0, "the sealed recordings' objects are listed");
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    private List<Record> sql(String query, Object... bindings) {
        return db.acrossOrgs(tx -> TestSql.rows(tx, query, bindings));
    }

    private List<UUID> ids(String query) {
        return sql(query).stream().map(r -> r.get(0, UUID.class)).toList();
    }

    private String sha256(ObjectKey key) {
        try (InputStream in = bucket.get(key)) {
            return Hashing.hex(Hashing.sha256(in.readAllBytes()));
        } catch (StorageException e) {
            if (e.kind() == StorageException.Kind.NOT_FOUND) {
                return "missing";
            }
            throw e;
        } catch (IOException e) {
            throw new AssertionError("reading " + key, e);
        }
    }

    /** The task's result; its assertion failure as the test's own. */
    private static <T> T join(Future<T> task) throws Exception {
        try {
            return task.get(PATIENCE.toSeconds() + 30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AssertionError a) {
                throw a;
            }
            throw e;
        }
    }

    private static void await(String what, Callable<Boolean> done) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!done.call()) {
            if (System.nanoTime() > deadline) {
                fail("not in " + PATIENCE.toSeconds() + " s: " + what);
            }
            Thread.sleep(500);
        }
    }

    private static String tail(Path log) {
        if (log == null) {
            return "(none)";
        }
        String all = PackagedService.read(log);
        return all.length() <= 20_000 ? all : all.substring(all.length() - 20_000);
    }
}
