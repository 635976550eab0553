package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 4: eight concurrent 32 MiB uploads must not need more than a few hundred MiB of heap. The service runs
 * in this JVM and the bodies are generated on the fly, so the live heap (sampled after forced collections
 * while the uploads run) is the service's own. Holding each transcript even once, as a string, would already
 * take 8 x 64 MiB.
 */
class AgentMemoryTest extends ServiceTest {
    static final int UPLOADS = 8;
    static final long TRANSCRIPT_BYTES = 32L * 1024 * 1024;
    static final long HEAP_BUDGET = 128L * 1024 * 1024;

    @Test
    void eightConcurrent32MiBReportsNeedLittleHeap() throws Exception {
        TestOrg org = app.newOrg(true);
        String line = GeneratedBody.escapedEventLine(4096);
        int decoded = TestApp.JSON.readValue("\"" + line + "\"", String.class).length();
        long lines = TRANSCRIPT_BYTES / decoded + 1;
        String prefix = "{\"node_key\": \"" + org.machine().nodeKey() + "\", \"session_type\": \"ssh\", "
                + "\"session_data\": {\"duration_seconds\": 60, \"transcript\": \"";
        List<TestApp.Response> responses = concurrently(() -> HttpRequest.newBuilder(app.url(AgentHttp.AGENT_PATH))
                .timeout(Duration.ofMinutes(5)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new GeneratedBody(prefix, line, lines, "\"}}")))
                .build());
        for (TestApp.Response r : responses) {
            assertEquals(201, r.status(), r.body());
        }
        assertStoredWhole(org, UUID.fromString(responses.get(0).data().get("session_id").asText()));
    }

    @Test
    void eightConcurrent32MiBAsciinemaUploadsNeedLittleHeap() throws Exception {
        TestOrg org = app.newOrg(true);
        String line = GeneratedBody.eventLine(4096);
        long lines = TRANSCRIPT_BYTES / line.length() + 1;
        String boundary = "b" + UUID.randomUUID().toString().replace("-", "");
        String prefix = "--" + boundary + "\r\ncontent-disposition: form-data; name=\"asciicast\"; filename=\"ascii.cast\"\r\n"
                + "content-type: application/octet-stream\r\n\r\n{\"version\": 2, \"width\": 80, \"height\": 24}\n";
        String suffix = "\r\n--" + boundary + "--\r\n";
        String auth = "Basic " + Base64.getEncoder().encodeToString(("u:" + org.machine().nodeKey()).getBytes());
        List<TestApp.Response> responses = concurrently(() -> HttpRequest.newBuilder(app.url(AgentHttp.ASCIICAST_PATH))
                .timeout(Duration.ofMinutes(5)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .header("Authorization", auth).header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new GeneratedBody(prefix, line, lines, suffix)))
                .build());
        for (TestApp.Response r : responses) {
            assertEquals(201, r.status(), r.body());
        }
        String url = responses.get(0).json().get("url").asText();
        assertStoredWhole(org, UUID.fromString(url.split("/")[url.split("/").length - 2]));
    }

    /** Sends the requests all at once while sampling the live heap; fails when it grew beyond the budget. */
    private static List<TestApp.Response> concurrently(Supplier<HttpRequest> request) throws Exception {
        long baseline = liveHeap();
        AtomicLong peak = new AtomicLong(baseline);
        AtomicBoolean running = new AtomicBoolean(true);
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (running.get()) {
                peak.accumulateAndGet(liveHeap(), Math::max);
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<TestApp.Response> responses = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(UPLOADS);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<TestApp.Response>> futures = new ArrayList<>();
            for (int i = 0; i < UPLOADS; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return app.send(request.get());
                }));
            }
            go.countDown();
            for (Future<TestApp.Response> f : futures) {
                responses.add(f.get());
            }
        } finally {
            running.set(false);
            sampler.join();
            pool.shutdownNow();
        }
        long grew = peak.get() - baseline;
        System.out.printf("live heap: baseline %d MiB, peak %d MiB during %d concurrent uploads%n",
                baseline >> 20, peak.get() >> 20, UPLOADS);
        assertTrue(grew < HEAP_BUDGET, "live heap grew by " + (grew >> 20) + " MiB");
        return responses;
    }

    private static long liveHeap() {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static void assertStoredWhole(TestOrg org, UUID session) {
        JsonNode got = org.asAdmin(Map.of("action", "get", "session_id", session.toString())).data();
        long bytes = got.get("r2_data").get("recording_bytes").asLong();
        assertTrue(bytes >= TRANSCRIPT_BYTES, "stored " + bytes + " bytes");
        // hash the download as a client would, without holding it
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            HttpRequest get = HttpRequest.newBuilder(app.url("/api/session-recording/" + org.orgId() + "/" + session + "/cast"))
                    .header("Authorization", "Bearer " + app.token(org.adminId())).GET().build();
            java.net.http.HttpResponse<java.io.InputStream> r = java.net.http.HttpClient.newHttpClient()
                    .send(get, java.net.http.HttpResponse.BodyHandlers.ofInputStream());
            long total = 0;
            try (java.io.InputStream in = r.body()) {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    md.update(buf, 0, n);
                    total += n;
                }
            }
            assertEquals(bytes, total);
            assertEquals(got.get("r2_data").get("recording_sha256").asText(),
                    java.util.HexFormat.of().formatHex(md.digest()));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
