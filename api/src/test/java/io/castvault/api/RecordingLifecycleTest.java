package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.storage.ObjectKey;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.castvault.api.SettingsAndAuthTest.assertError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seed ST2–ST3 and issue 3: start, upload_chunk, complete, get, the cast download and delete, over real HTTP. */
class RecordingLifecycleTest extends ServiceTest {
    static final String CHUNK0 = "[0, \"o\", \"$ \"]";
    static final String CHUNK1 = "[1.2, \"o\", \"hello\\n\"]\n[2.5, \"i\", \"exit\\r\"]\n";

    @Test
    void startCreatesAnActiveRecording() {
        TestOrg org = app.newOrg(true);
        TestApp.Response r = org.asMember(Map.of("action", "start", "machine_id", org.machine().machineId().toString(),
                "session_type", "ssh"));
        assertEquals(201, r.status(), r.body());
        assertEquals("active", r.data().get("status").asText());
        UUID id = UUID.fromString(r.data().get("session_id").asText());
        JsonNode got = org.asMember(Map.of("action", "get", "session_id", id.toString())).data();
        assertEquals("active", got.get("recording").get("status").asText());
        assertEquals(org.memberId().toString(), got.get("recording").get("user_id").asText());
        assertEquals("Linux-C", got.get("recording").get("machine_name").asText());
        assertTrue(got.get("r2_data").isNull());
    }

    @Test
    void startIsRefusedWhileRecordingIsDisabledAndChecksItsInput() {
        TestOrg org = app.newOrg(false);
        String machine = org.machine().machineId().toString();
        assertError(org.asAdmin(Map.of("action", "start", "machine_id", machine, "session_type", "ssh")), 403, "RECORDING_DISABLED");
        org.asAdmin(Map.of("action", "update_settings", "recording_enabled", true));
        assertError(org.asAuditor(Map.of("action", "start", "machine_id", machine, "session_type", "ssh")), 403, "FORBIDDEN");
        assertError(org.asAdmin(Map.of("action", "start", "machine_id", machine)), 400, "MISSING_FIELDS");
        assertError(org.asAdmin(Map.of("action", "start", "machine_id", machine, "session_type", "ssh; drop table")), 400, "INVALID_INPUT");
        assertError(org.asAdmin(Map.of("action", "start", "machine_id", "nope", "session_type", "ssh")), 400, "INVALID_INPUT");
        assertError(org.asAdmin(Map.of("action", "start", "machine_id", UUID.randomUUID().toString(), "session_type", "ssh")), 404, "NOT_FOUND");
        TestOrg other = app.newOrg(true);
        assertError(org.asAdmin(Map.of("action", "start", "machine_id", other.machine().machineId().toString(),
                "session_type", "ssh")), 404, "NOT_FOUND");
    }

    @Test
    void chunksAreStoredByteForByteUnderTheContractKeys() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        TestApp.Response r0 = org.as(org.memberId(), Map.of("action", "upload_chunk", "session_id", id.toString(),
                "chunk_data", CHUNK0)); // chunk_index defaults to 0
        assertEquals(200, r0.status(), r0.body());
        assertEquals("recordings/" + org.orgId() + "/" + id + "/chunk-0.cast", r0.data().get("stored").asText());
        assertEquals(0, r0.data().get("chunk_index").asInt());
        TestApp.Response r1 = org.upload(org.memberId(), id, 1, CHUNK1);
        assertEquals("recordings/" + org.orgId() + "/" + id + "/chunk-1.cast", r1.data().get("stored").asText());
        assertArrayEquals(CHUNK1.getBytes(StandardCharsets.UTF_8), read(ObjectKey.chunk(org.orgId(), id, 1)));
        JsonNode metadata = org.asMember(Map.of("action", "get", "session_id", id.toString())).data().get("recording").get("metadata");
        assertEquals(2, metadata.get("chunks_received").asInt());
        assertEquals(CHUNK0.length() + CHUNK1.length(), metadata.get("bytes_received").asInt());
    }

    @Test
    void aRetriedChunkIsAcceptedOnceAndARewriteIsAConflict() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        assertEquals(200, org.upload(org.memberId(), id, 0, CHUNK0).status());
        assertEquals(200, org.upload(org.memberId(), id, 0, CHUNK0).status(), "same bytes again: an agent's retry");
        assertError(org.upload(org.memberId(), id, 0, "[0, \"o\", \"tampered\"]"), 409, "CONFLICT");
        assertArrayEquals(CHUNK0.getBytes(StandardCharsets.UTF_8), read(ObjectKey.chunk(org.orgId(), id, 0)),
                "the original bytes are kept");
        List<ObjectKey> objects = app.blobs().list(ObjectKey.recordingPrefixes(org.orgId(), id).get(0));
        assertEquals(List.of(ObjectKey.chunk(org.orgId(), id, 0)), objects);
    }

    @Test
    void racingUploadsOfOneIndexStoreExactlyOneOfThem() throws Exception {
        TestOrg org = app.newOrg(true);
        for (int round = 0; round < 5; round++) {
            raceForChunkZero(org, org.start(org.memberId()));
        }
    }

    private void raceForChunkZero(TestOrg org, UUID id) throws Exception {
        int racers = 16;
        List<String> versions = new java.util.ArrayList<>();
        for (int i = 0; i < racers; i++) {
            versions.add("[0, \"o\", \"version " + i + " " + "v".repeat(20_000) + "\"]\n");
        }
        List<TestApp.Response> answers;
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(racers)) {
            var go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<TestApp.Response>> futures = new java.util.ArrayList<>();
            for (String v : versions) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return org.upload(org.memberId(), id, 0, v);
                }));
            }
            go.countDown();
            answers = new java.util.ArrayList<>();
            for (var f : futures) {
                answers.add(f.get());
            }
        }
        List<Integer> winners = new java.util.ArrayList<>();
        for (int i = 0; i < racers; i++) {
            if (answers.get(i).status() == 200) {
                winners.add(i);
            } else {
                assertError(answers.get(i), 409, "CONFLICT");
            }
        }
        assertEquals(1, winners.size(), "exactly one upload of chunk 0 wins");
        byte[] won = versions.get(winners.get(0)).getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(won, read(ObjectKey.chunk(org.orgId(), id, 0)), "the stored object is the winner's");
        org.asMember(Map.of("action", "complete", "session_id", id.toString()));
        JsonNode chunks = org.asMember(Map.of("action", "get", "session_id", id.toString())).data().get("r2_data").get("chunks");
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(won)), chunks.get(0).get("sha256").asText(),
                "the row describes the stored bytes");
    }

    @Test
    void badChunksAreRejected() {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        assertError(org.as(org.memberId(), Map.of("action", "upload_chunk", "session_id", id.toString())), 400, "MISSING_FIELDS");
        assertError(org.upload(org.memberId(), id, 0, "hello world"), 400, "INVALID_INPUT");
        assertError(org.upload(org.memberId(), id, 0, "[0, \"z\", \"x\"]"), 400, "INVALID_INPUT");
        assertError(org.upload(org.memberId(), id, 0, "[\"0\", \"o\", \"x\"]"), 400, "INVALID_INPUT");
        assertError(org.upload(org.memberId(), id, 0, "[0, \"o\", \"x\", 4]"), 400, "INVALID_INPUT");
        assertError(org.upload(org.memberId(), id, 1, "{\"version\": 2, \"width\": 80, \"height\": 24}\n" + CHUNK0), 400, "INVALID_INPUT");
        assertError(org.upload(org.memberId(), id, -1, CHUNK0), 400, "INVALID_INPUT");
        assertError(org.upload(org.memberId(), id, 0, ""), 400, "INVALID_INPUT");
        String big = "[0, \"o\", \"" + "x".repeat(1024 * 1024) + "\"]";
        assertError(org.upload(org.memberId(), id, 0, big), 413, "PAYLOAD_TOO_LARGE");
        assertError(org.as(org.memberId(), Map.of("action", "upload_chunk", "session_id", "not-a-uuid", "chunk_data", CHUNK0)),
                400, "INVALID_INPUT");
        assertEquals(0, app.blobs().list(ObjectKey.recordingPrefixes(org.orgId(), id).get(0)).size(),
                "nothing stored for refused chunks");
    }

    @Test
    void completeWritesTheSummaryAndTheDownloadHashesToIt() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        String header = "{\"version\": 2, \"width\": 120, \"height\": 40, \"title\": \"demo\"}";
        org.upload(org.memberId(), id, 0, header + "\n" + CHUNK0 + "\n");
        org.upload(org.memberId(), id, 1, CHUNK1);
        TestApp.Response done = org.complete(org.memberId(), id);
        assertEquals(200, done.status(), done.body());
        assertEquals(id.toString(), done.data().get("completed").asText());

        JsonNode got = org.asMember(Map.of("action", "get", "session_id", id.toString())).data();
        JsonNode rec = got.get("recording");
        JsonNode summary = got.get("r2_data");
        assertEquals("completed", rec.get("status").asText());
        assertEquals("session-recordings/" + org.orgId() + "/" + id + "/recording.json", rec.get("r2_key").asText());
        assertFalse(rec.get("ended_at").isNull());
        assertEquals(2.5, rec.get("duration_seconds").asDouble(), "derived from the last event");
        assertEquals(id.toString(), summary.get("session_id").asText());
        assertEquals(2.5, summary.get("duration_seconds").asDouble());
        assertEquals(3, summary.get("transcript_lines").asInt(), "derived from the event count");
        assertTrue(summary.get("recording_url").asText().endsWith("/" + id + "/cast"));
        assertFalse(summary.get("completed_at").asText().isEmpty());
        assertEquals(2, summary.get("chunks").size());
        assertEquals(sha256Hex((header + "\n" + CHUNK0 + "\n").getBytes(StandardCharsets.UTF_8)),
                summary.get("chunks").get(0).get("sha256").asText());
        assertEquals(CHUNK1.length(), summary.get("chunks").get(1).get("bytes").asInt());
        assertEquals(0, summary.get("missing_chunks").size());

        TestApp.Response cast = org.cast(org.memberId(), id);
        assertEquals(200, cast.status());
        assertTrue(cast.raw().headers().firstValue("content-type").orElse("").startsWith("application/x-asciicast"));
        assertEquals(summary.get("recording_sha256").asText(), sha256Hex(cast.raw().body()));
        assertEquals(header + "\n" + CHUNK0 + "\n" + CHUNK1, cast.body());
        // the summary object in the bucket is what get returned
        JsonNode stored = TestApp.JSON.readTree(read(ObjectKey.summary(org.orgId(), id)));
        assertEquals(summary, stored);
    }

    @Test
    void clientValuesWinAndGapsAreReported() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.adminId());
        org.upload(org.adminId(), id, 0, CHUNK0);
        org.upload(org.adminId(), id, 2, "[9.5, \"o\", \"late\"]");
        org.upload(org.adminId(), id, 5, "[12, \"o\", \"later\"]");
        TestApp.Response done = org.asAdmin(Map.of("action", "complete", "session_id", id.toString(),
                "duration_seconds", 120, "recording_url", "https://example.com/recording.cast", "transcript_lines", 42));
        assertEquals(200, done.status(), done.body());
        JsonNode got = org.asAdmin(Map.of("action", "get", "session_id", id.toString())).data();
        JsonNode summary = got.get("r2_data");
        assertEquals(120, summary.get("duration_seconds").asInt());
        assertEquals("120", summary.get("duration_seconds").toString(), "whole numbers stay whole");
        assertEquals("https://example.com/recording.cast", summary.get("recording_url").asText());
        assertEquals(42, summary.get("transcript_lines").asInt());
        // gaps as inclusive ranges: bounded by the chunks received, not by the indexes chosen
        assertEquals("[[1,1],[3,4]]", summary.get("missing_chunks").toString());
        assertEquals("[[1,1],[3,4]]", got.get("recording").get("metadata").get("missing_chunks").toString());
        assertEquals(120, got.get("recording").get("duration_seconds").asInt());
        // the download is still one valid file: default header, then the chunks there are, in order
        TestApp.Response cast = org.cast(org.adminId(), id);
        assertEquals("{\"version\": 2, \"width\": 80, \"height\": 24}\n" + CHUNK0 + "\n[9.5, \"o\", \"late\"]\n[12, \"o\", \"later\"]\n",
                cast.body());
        assertEquals(summary.get("recording_sha256").asText(), sha256Hex(cast.raw().body()));
    }

    @Test
    void aCompletedRecordingTakesNoMoreWrites() {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        org.upload(org.memberId(), id, 0, CHUNK0);
        assertEquals(200, org.complete(org.memberId(), id).status());
        assertError(org.upload(org.memberId(), id, 1, CHUNK1), 409, "CONFLICT");
        assertError(org.upload(org.memberId(), id, 0, CHUNK0), 409, "CONFLICT");
        assertError(org.complete(org.memberId(), id), 409, "CONFLICT");
    }

    @Test
    void rolesFollowTheContract() {
        TestOrg org = app.newOrg(true);
        UUID mine = org.start(org.memberId());
        UUID admins = org.start(org.adminId());
        org.upload(org.adminId(), admins, 0, CHUNK0);
        // member: own sessions only
        assertError(org.upload(org.memberId(), admins, 1, CHUNK1), 403, "FORBIDDEN");
        // the claim is one statement that checks the writer itself: a refused upload leaves no claim behind
        assertEquals("none", WritePathFaultsTest.state(app, org, admins, 1));
        assertError(org.complete(org.memberId(), admins), 403, "FORBIDDEN");
        assertError(org.asMember(Map.of("action", "get", "session_id", admins.toString())), 403, "FORBIDDEN");
        assertError(org.cast(org.memberId(), admins), 403, "FORBIDDEN");
        assertError(org.asMember(Map.of("action", "list")), 403, "FORBIDDEN");
        assertError(org.asMember(Map.of("action", "delete", "session_id", mine.toString())), 403, "FORBIDDEN");
        assertError(org.asMember(Map.of("action", "cleanup")), 403, "FORBIDDEN");
        // auditor: reads everything, writes nothing
        assertEquals(200, org.asAuditor(Map.of("action", "get", "session_id", admins.toString())).status());
        assertEquals(200, org.asAuditor(Map.of("action", "list")).status());
        assertEquals(200, org.cast(org.auditorId(), admins).status());
        assertError(org.upload(org.auditorId(), mine, 0, CHUNK0), 403, "FORBIDDEN");
        assertEquals("none", WritePathFaultsTest.state(app, org, mine, 0));
        assertError(org.complete(org.auditorId(), mine), 403, "FORBIDDEN");
        assertError(org.asAuditor(Map.of("action", "delete", "session_id", mine.toString())), 403, "FORBIDDEN");
        // admin: everything, including the member's session
        assertEquals(200, org.upload(org.adminId(), mine, 0, CHUNK0).status());
        assertEquals(200, org.complete(org.adminId(), mine).status());
        assertEquals(200, org.asAdmin(Map.of("action", "delete", "session_id", mine.toString())).status());
    }

    @Test
    void anotherOrgsRecordingIsNotFoundForEveryAction() {
        TestOrg org = app.newOrg(true);
        TestOrg intruder = app.newOrg(true);
        UUID id = org.start(org.memberId());
        org.upload(org.memberId(), id, 0, CHUNK0);
        String s = id.toString();
        // the intruder is admin of their own org and names their own org_id: the recording does not exist there
        for (Map<String, Object> body : List.<Map<String, Object>>of(
                Map.of("action", "upload_chunk", "session_id", s, "chunk_index", 1, "chunk_data", CHUNK1),
                Map.of("action", "complete", "session_id", s),
                Map.of("action", "get", "session_id", s),
                Map.of("action", "delete", "session_id", s))) {
            assertError(intruder.asAdmin(body), 404, "NOT_FOUND");
        }
        TestApp.Response cast = app.get("/api/session-recording/" + intruder.orgId() + "/" + id + "/cast",
                app.token(intruder.adminId()));
        assertError(cast, 404, "NOT_FOUND");
        // naming the victim's org_id is a membership question: 403, and nothing leaks
        assertError(app.action(app.token(intruder.adminId()), Map.of("action", "get", "org_id", org.orgId().toString(),
                "session_id", s)), 403, "FORBIDDEN");
        TestApp.Response list = intruder.asAdmin(Map.of("action", "list"));
        assertEquals(0, list.data().get("recordings").size());
        // and the recording is untouched
        assertEquals("active", org.asAdmin(Map.of("action", "get", "session_id", s)).data().get("recording").get("status").asText());
        assertEquals(1, org.asAdmin(Map.of("action", "get", "session_id", s)).data().get("recording").get("metadata")
                .get("chunks_received").asInt());
    }

    @Test
    void deleteRemovesEveryObjectAndTheRow() {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        org.upload(org.memberId(), id, 0, CHUNK0);
        org.upload(org.memberId(), id, 1, CHUNK1);
        org.complete(org.memberId(), id);
        TestApp.Response r = org.asAdmin(Map.of("action", "delete", "session_id", id.toString()));
        assertEquals(200, r.status(), r.body());
        assertEquals(id.toString(), r.data().get("deleted").asText());
        for (ObjectKey.Prefix p : ObjectKey.recordingPrefixes(org.orgId(), id)) {
            assertEquals(List.of(), app.blobs().list(p));
        }
        assertError(org.asAdmin(Map.of("action", "get", "session_id", id.toString())), 404, "NOT_FOUND");
        assertError(org.asAdmin(Map.of("action", "delete", "session_id", id.toString())), 404, "NOT_FOUND");
        int rows = app.db().inOrg(org.orgId(), tx -> io.castvault.db.RecordingQueries.find(tx, id).isPresent() ? 1 : 0);
        assertEquals(0, rows);
    }

    private static byte[] read(ObjectKey key) throws Exception {
        try (InputStream in = app.blobs().get(key)) {
            return in.readAllBytes();
        }
    }

    static String sha256Hex(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
