package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.db.Database;
import io.castvault.db.TestSql;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packaged service ({@code java -jar api/target/castvault.jar}, run after {@code package}) gets SIGTERM while
 * 16 uploads are still sending their bodies: every one of them is answered 200 and stored, a new connection is
 * refused meanwhile, and the process exits 0. Its log, with {@code LOG_FORMAT=json}, is one JSON object per line.
 */
class GracefulShutdownIT {
    private static final int UPLOADS = 16;
    private static final int CHUNK_LINES = 2_000;

    private PackagedService service;

    @AfterEach
    void stop() throws IOException {
        if (service != null) {
            service.close();
        }
    }

    @Test
    void sigtermDrainsUploadsAndExitsZero() throws Exception {
        service = new PackagedService(Map.of("LOG_FORMAT", "json", "SHUTDOWN_GRACE_PERIOD", "30s"), List.of());
        service.start();
        PackagedService.Tenant tenant = service.provision("shutdown");
        UUID org = tenant.org();
        String token = tenant.token();
        URI base = service.uri("/");
        // a request that logs: its line must carry the request id, org and action
        HttpResponse<String> cleanup = service.action(token, Map.of("action", "cleanup", "org_id", org.toString()));
        assertEquals(200, cleanup.statusCode(), cleanup.body());
        String cleanupId = cleanup.headers().firstValue("X-Request-Id").orElseThrow();

        List<UUID> sessions = new ArrayList<>();
        for (int i = 0; i < UPLOADS; i++) {
            HttpResponse<String> r = service.action(token, Map.of("action", "start", "org_id", org.toString(),
                    "machine_id", tenant.machine().toString(), "session_type", "ssh"));
            assertEquals(201, r.statusCode(), r.body());
            sessions.add(UUID.fromString(TestApp.JSON.readTree(r.body()).get("data").get("session_id").asText()));
        }

        // 16 uploads whose bodies trickle in for a few seconds; SIGTERM comes once all of them are being sent
        CountDownLatch sending = new CountDownLatch(UPLOADS);
        List<CompletableFuture<HttpResponse<String>>> uploads = new ArrayList<>();
        for (UUID session : sessions) {
            byte[] body = uploadBody(org, session);
            HttpClient own = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest request = HttpRequest.newBuilder(base.resolve("/api/session-recording"))
                    .timeout(Duration.ofSeconds(90))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Trickle(body, sending))).build();
            uploads.add(own.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }
        assertTrue(sending.await(30, TimeUnit.SECONDS), "uploads did not start");
        Thread.sleep(300);
        service.process().destroy(); // SIGTERM

        // while draining: a new connection is refused (or answered 503), never served
        Thread.sleep(700);
        assertTrue(service.process().isAlive(), "the service must wait for the uploads in flight");
        try {
            HttpResponse<String> late = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/health/ready"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, late.statusCode(), "a new request while draining: " + late.body());
        } catch (IOException refused) {
            // the listener is closed: what an orchestrator's next request should see
        }

        for (int i = 0; i < UPLOADS; i++) {
            HttpResponse<String> r = uploads.get(i).get(90, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), "upload " + i + ": " + r.body());
        }
        assertTrue(service.process().waitFor(60, TimeUnit.SECONDS), "the service did not exit");
        assertEquals(0, service.process().exitValue(), "exit code; log:\n" + Files.readString(service.log()));

        // nothing acknowledged is lost: every chunk row is committed
        try (Database db = service.database()) {
            long chunks = db.acrossOrgs(tx -> TestSql.count(tx, "SELECT count(*) FROM recording_chunks"));
            assertEquals(UPLOADS, chunks);
        }

        boolean sawCleanup = false;
        for (String line : Files.readAllLines(service.log())) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode json;
            try {
                json = TestApp.JSON.readTree(line);
            } catch (IOException e) {
                fail("not a JSON log line: " + line);
                return;
            }
            assertTrue(json.get("time").asText().endsWith("Z"), line);
            assertTrue(json.hasNonNull("level") && json.hasNonNull("logger") && json.hasNonNull("message"), line);
            assertFalse(line.contains(PackagedService.JWT_SECRET) || line.contains(service.s3().secretKey())
                    || line.contains(token), line);
            if (json.get("message").asText().startsWith("cleanup of org")) {
                sawCleanup = true;
                assertEquals(cleanupId, json.path("request_id").asText(), line);
                assertEquals(org.toString(), json.path("org").asText(), line);
                assertEquals("cleanup", json.path("action").asText(), line);
            }
        }
        assertTrue(sawCleanup, "the cleanup's log line");
    }

    private static byte[] uploadBody(UUID org, UUID session) throws IOException {
        StringBuilder chunk = new StringBuilder();
        for (int i = 0; i < CHUNK_LINES; i++) {
            chunk.append("[").append(i / 10.0).append(", \"o\", \"line ").append(i).append(" of the session output\"]\n");
        }
        Map<String, Object> body = new HashMap<>();
        body.put("action", "upload_chunk");
        body.put("org_id", org.toString());
        body.put("session_id", session.toString());
        body.put("chunk_index", 0);
        body.put("chunk_data", chunk.toString());
        return TestApp.JSON.writeValueAsBytes(body);
    }

    /** Hands out the body 4 KiB at a time, 100 ms apart: about three seconds for a chunk of this size. */
    private static final class Trickle extends InputStream {
        private final byte[] body;
        private final CountDownLatch sending;
        private int position;

        Trickle(byte[] body, CountDownLatch sending) {
            this.body = body;
            this.sending = sending;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= body.length) {
                return -1;
            }
            if (position > 0) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                sending.countDown();
            }
            int n = Math.min(Math.min(len, 4096), body.length - position);
            System.arraycopy(body, position, b, off, n);
            position += n;
            return n;
        }
    }
}
