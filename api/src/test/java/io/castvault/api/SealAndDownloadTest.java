package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.storage.ObjectKey;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.castvault.api.SettingsAndAuthTest.assertError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 13 over real HTTP, PostgreSQL and S3: one sealed object, HEAD, ETag, ranges, presigned links, strays. */
class SealAndDownloadTest extends ServiceTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    HttpResponse<byte[]> cast(TestOrg org, UUID id, String method, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(app.url("/api/session-recording/" + org.orgId() + "/" + id + "/cast"))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + app.token(org.adminId()));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    UUID sealed(TestOrg org) {
        UUID id = org.start(org.memberId());
        assertEquals(200, org.upload(org.memberId(), id, 0, RecordingLifecycleTest.CHUNK0).status());
        assertEquals(200, org.upload(org.memberId(), id, 1, RecordingLifecycleTest.CHUNK1).status());
        assertEquals(200, org.complete(org.memberId(), id).status());
        return id;
    }

    @Test
    void aSealedRecordingIsOneObjectServedWithLengthEtagAndRanges() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        org.upload(org.memberId(), id, 0, RecordingLifecycleTest.CHUNK0);
        org.upload(org.memberId(), id, 1, RecordingLifecycleTest.CHUNK1);
        byte[] whileActive = cast(org, id, "GET").body();
        assertTrue(cast(org, id, "GET").headers().firstValue("ETag").isEmpty(), "no entity tag while it can still change");
        assertEquals(200, org.complete(org.memberId(), id).status());

        assertEquals(List.of(ObjectKey.cast(org.orgId(), id)),
                app.blobs().list(ObjectKey.recordingPrefixes(org.orgId(), id).get(0)), "the chunks are gone");
        String sha = org.asAdmin(Map.of("action", "get", "session_id", id.toString())).data()
                .get("recording").get("metadata").get("recording_sha256").asText();

        HttpResponse<byte[]> full = cast(org, id, "GET");
        assertEquals(200, full.statusCode());
        assertArrayEquals(whileActive, full.body(), "sealing does not change a byte of the download");
        assertEquals(sha, sha256(full.body()));
        assertEquals("\"" + sha + "\"", full.headers().firstValue("ETag").orElseThrow());
        assertEquals("bytes", full.headers().firstValue("Accept-Ranges").orElseThrow());
        // framed by its length, as the object is: a reader knows a complete body from a cut one without chunking
        assertEquals(full.body().length, Long.parseLong(full.headers().firstValue("Content-Length").orElseThrow()));
        assertTrue(full.headers().firstValue("Transfer-Encoding").isEmpty(), full.headers().map().toString());

        HttpResponse<byte[]> head = cast(org, id, "HEAD");
        assertEquals(200, head.statusCode(), head.headers().map().toString());
        assertEquals(0, head.body().length);
        assertEquals("\"" + sha + "\"", head.headers().firstValue("ETag").orElseThrow());
        assertEquals(full.body().length, Long.parseLong(head.headers().firstValue("Content-Length").orElseThrow()));

        int n = full.body().length;
        HttpResponse<byte[]> part = cast(org, id, "GET", "Range", "bytes=5-14");
        assertEquals(206, part.statusCode());
        assertArrayEquals(Arrays.copyOfRange(full.body(), 5, 15), part.body());
        assertEquals("bytes 5-14/" + n, part.headers().firstValue("Content-Range").orElseThrow());
        assertEquals("10", part.headers().firstValue("Content-Length").orElseThrow());
        HttpResponse<byte[]> tail = cast(org, id, "GET", "Range", "bytes=-7");
        assertEquals(206, tail.statusCode());
        assertArrayEquals(Arrays.copyOfRange(full.body(), n - 7, n), tail.body());
        HttpResponse<byte[]> open = cast(org, id, "GET", "Range", "bytes=" + (n - 3) + "-");
        assertArrayEquals(Arrays.copyOfRange(full.body(), n - 3, n), open.body());
        HttpResponse<byte[]> beyond = cast(org, id, "GET", "Range", "bytes=" + n + "-");
        assertEquals(416, beyond.statusCode());
        assertEquals("bytes */" + n, beyond.headers().firstValue("Content-Range").orElseThrow());
        HttpResponse<byte[]> stale = cast(org, id, "GET", "Range", "bytes=0-3", "If-Range", "\"other\"");
        assertEquals(200, stale.statusCode(), "a range of another version is the whole file");
        assertArrayEquals(full.body(), stale.body());
    }

    /**
     * Many 1 MiB pieces, more than a download's pool of reused arrays holds: a piece whose array were reused
     * before Netty had written it would show as wrong bytes here, in the whole file and in a range across pieces.
     */
    @Test
    void aDownloadOfManyPiecesIsExactlyTheRecording() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        for (int c = 0; c < 60; c++) {
            StringBuilder chunk = new StringBuilder();
            for (int line = 0; chunk.length() < 100_000; line++) {
                chunk.append("[").append(c * 1000 + line).append(".5, \"o\", \"chunk ").append(c).append(" line ")
                        .append(line).append(" ").append("x".repeat(line % 97)).append("\"]\n");
            }
            assertEquals(200, org.upload(org.memberId(), id, c, chunk.toString()).status());
            expected.writeBytes(chunk.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        byte[] active = cast(org, id, "GET").body();
        assertEquals(200, org.complete(org.memberId(), id).status());
        HttpResponse<byte[]> full = cast(org, id, "GET");
        assertEquals(200, full.statusCode());
        assertTrue(full.body().length > 5 * 1024 * 1024, "many pieces: " + full.body().length);
        assertArrayEquals(active, full.body(), "the sealed download is the assembled one");
        String tail = new String(full.body(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(tail.endsWith(new String(expected.toByteArray(), java.nio.charset.StandardCharsets.UTF_8)),
                "the header, then every chunk in order");
        String sha = org.asAdmin(Map.of("action", "get", "session_id", id.toString())).data()
                .get("recording").get("metadata").get("recording_sha256").asText();
        assertEquals(sha, sha256(full.body()));
        int from = 1024 * 1024 - 10;
        int to = 4 * 1024 * 1024 + 10;
        HttpResponse<byte[]> across = cast(org, id, "GET", "Range", "bytes=" + from + "-" + to);
        assertEquals(206, across.statusCode());
        assertArrayEquals(Arrays.copyOfRange(full.body(), from, to + 1), across.body());
    }

    @Test
    void downloadUrlIsAPresignedGetOfTheSealedObject() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID active = org.start(org.memberId());
        org.upload(org.memberId(), active, 0, RecordingLifecycleTest.CHUNK0);
        assertError(org.asMember(Map.of("action", "download_url", "session_id", active.toString())), 409, "CONFLICT");
        UUID id = sealed(org);
        TestApp.Response r = org.asMember(Map.of("action", "download_url", "session_id", id.toString(), "ttl_seconds", 120));
        assertEquals(200, r.status(), r.body());
        JsonNode data = r.data();
        java.time.Instant expires = java.time.Instant.parse(data.get("expires_at").asText());
        assertTrue(expires.isAfter(java.time.Instant.now().plusSeconds(100)) && expires.isBefore(java.time.Instant.now().plusSeconds(130)));
        HttpResponse<byte[]> got = HTTP.send(HttpRequest.newBuilder(URI.create(data.get("url").asText())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, got.statusCode());
        assertArrayEquals(cast(org, id, "GET").body(), got.body());

        assertError(org.asMember(Map.of("action", "download_url", "session_id", id.toString(), "ttl_seconds", 59)), 400, "INVALID_INPUT");
        assertError(org.asMember(Map.of("action", "download_url", "session_id", id.toString(), "ttl_seconds", 3601)), 400, "INVALID_INPUT");
        assertEquals(200, org.asAuditor(Map.of("action", "download_url", "session_id", id.toString())).status());
        TestOrg other = app.newOrg(true);
        assertError(other.asAdmin(Map.of("action", "download_url", "session_id", id.toString())), 404, "NOT_FOUND");
    }

    @Test
    void aRecordingCompletedBeforeSealingExistedIsStillServedFromItsChunks() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        org.upload(org.memberId(), id, 0, RecordingLifecycleTest.CHUNK0);
        org.upload(org.memberId(), id, 1, RecordingLifecycleTest.CHUNK1);
        byte[] assembled = cast(org, id, "GET").body();
        String sha = sha256(assembled);
        // what a completion before migration V4 left: completed, chunk objects, no recording.cast
        app.db().inOrg(org.orgId(), tx -> io.castvault.db.TestSql.execute(tx,
                "UPDATE session_recordings SET status = 'completed', metadata = metadata || jsonb_build_object('recording_sha256', ?::text) WHERE id = ?",
                sha, id));
        HttpResponse<byte[]> legacy = cast(org, id, "GET");
        assertEquals(200, legacy.statusCode());
        assertArrayEquals(assembled, legacy.body());
        assertEquals("\"" + sha256(assembled) + "\"", legacy.headers().firstValue("ETag").orElseThrow());
        assertError(org.asAdmin(Map.of("action", "download_url", "session_id", id.toString())), 409, "CONFLICT");
    }

    @Test
    void aLostObjectIs503NeverAShortDownload() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID sealedId = sealed(org);
        app.blobs().delete(List.of(ObjectKey.cast(org.orgId(), sealedId)));
        HttpResponse<byte[]> gone = cast(org, sealedId, "GET");
        assertEquals(503, gone.statusCode());
        assertTrue(new String(gone.body(), StandardCharsets.UTF_8).contains("STORAGE_UNAVAILABLE"));

        UUID active = org.start(org.memberId());
        org.upload(org.memberId(), active, 0, RecordingLifecycleTest.CHUNK0);
        org.upload(org.memberId(), active, 1, RecordingLifecycleTest.CHUNK1);
        app.blobs().delete(List.of(ObjectKey.chunk(org.orgId(), active, 1)));
        // the first chunk is there, so the status line goes out; the lost one must break the transfer
        boolean broken;
        try {
            HttpResponse<byte[]> r = cast(org, active, "GET");
            broken = r.statusCode() != 200;
        } catch (IOException e) {
            broken = true;
        }
        assertTrue(broken, "a download missing a chunk must not end as a clean 200");
        assertError(org.complete(org.memberId(), active), 503, "STORAGE_UNAVAILABLE");
        assertEquals("active", org.asAdmin(Map.of("action", "get", "session_id", active.toString())).data()
                .get("recording").get("status").asText());
    }

    @Test
    void deleteRemovesStrayObjectsUnderTheRecordingsPrefixes() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID id = sealed(org);
        byte[] stray = "left by a crash".getBytes(StandardCharsets.UTF_8);
        app.blobs().put(ObjectKey.chunk(org.orgId(), id, 41), stray, MessageDigest.getInstance("SHA-256").digest(stray), "text/plain");
        assertEquals(200, org.asAdmin(Map.of("action", "delete", "session_id", id.toString())).status());
        for (ObjectKey.Prefix p : ObjectKey.recordingPrefixes(org.orgId(), id)) {
            assertEquals(List.of(), app.blobs().list(p));
        }
        assertFalse(app.blobs().head(ObjectKey.chunk(org.orgId(), id, 41)).isPresent());
    }
}
