package io.castvault.api;

import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * Issue 11: memory before authentication. 40 concurrent 95 MB bodies without a valid token or node key, on each
 * route, must leave the service's live heap within 64 MiB of where it was and /health answering 200. The service
 * runs in this JVM and the bodies are generated on the fly, so the live heap is the service's own. Before the
 * fix the action route bound every body as a String (40 x 95 MB) and the agent route built the 95 M-character
 * member name of a skipped object.
 */
class UnauthenticatedBodiesTest extends ServiceTest {
    static final int CLIENTS = 40;
    static final long BODY_BYTES = 95L * 1000 * 1000;
    static final long HEAP_BUDGET = 64L * 1024 * 1024;
    static final String FILLER = "a".repeat(64 * 1024);

    @Test
    void theActionRouteChecksTheTokenBeforeReadingTheBody() throws Exception {
        TestOrg org = app.newOrg(true);
        String prefix = "{\"action\": \"get_settings\", \"org_id\": \"" + org.orgId() + "\", \"padding\": \"";
        Map<Integer, Integer> statuses = flood("/api/session-recording", prefix, "\"}", "application/json", Map.of());
        assertEquals(Map.of(401, CLIENTS), statuses, "every caller was refused for its token");
        assertEquals(200, org.asAdmin(Map.of("action", "get_settings")).status());
    }

    @Test
    void theAgentRouteBoundsWhatItSkips() throws Exception {
        Map<Integer, Integer> statuses = flood(AgentHttp.AGENT_PATH, "{\"x\": {\"", "\": 1}}", "application/json", Map.of());
        assertEquals(Map.of(400, CLIENTS), statuses);
    }

    @Test
    void theAsciicastRouteChecksTheInstallIdFirst() throws Exception {
        String boundary = "b0123456789";
        Map<Integer, Integer> statuses = flood(AgentHttp.ASCIICAST_PATH, "--" + boundary
                        + "\r\ncontent-disposition: form-data; name=\"asciicast\"; filename=\"ascii.cast\"\r\n\r\n",
                "\r\n--" + boundary + "--\r\n", "multipart/form-data; boundary=" + boundary, Map.of());
        // refused by its size (Content-Length over the upload limit) or its missing install id: unread either way
        assertEquals(CLIENTS, statuses.getOrDefault(401, 0) + statuses.getOrDefault(413, 0), statuses.toString());
    }

    @Test
    void anUnauthenticatedAsciicastUploadIsRefusedBeforeItsBodyIsRead() throws Exception {
        // framing that is not multipart at all: refused for the missing install id, not for the framing
        TestApp.Response garbage = app.send(HttpRequest.newBuilder(app.url(AgentHttp.ASCIICAST_PATH))
                .header("Content-Type", "multipart/form-data; boundary=XX")
                .POST(HttpRequest.BodyPublishers.ofString("garbage")).build());
        assertEquals(401, garbage.status(), garbage.body());
        // a body announced and never sent: answered at once, not once the idle timeout ends the wait for it
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", app.url("/").getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST " + AgentHttp.ASCIICAST_PATH + " HTTP/1.1\r\nHost: castvault\r\n"
                    + "Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 1000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            assertEquals("HTTP/1.1 401 Unauthorized", status);
        }
    }

    /** Sends the bodies all at once while sampling the live heap and /health; the answers' statuses by count. */
    private static Map<Integer, Integer> flood(String path, String prefix, String suffix, String contentType,
                                               Map<String, String> headers) throws Exception {
        long lines = (BODY_BYTES - prefix.length() - suffix.length()) / FILLER.length();
        long length = prefix.getBytes(StandardCharsets.UTF_8).length + lines * FILLER.length()
                + suffix.getBytes(StandardCharsets.UTF_8).length;
        Supplier<HttpRequest> request = () -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(app.url(path)).timeout(Duration.ofSeconds(90))
                    .header("Content-Type", contentType)
                    .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                            () -> new GeneratedBody(prefix, FILLER, lines, suffix)), length));
            headers.forEach(b::header);
            return b.build();
        };
        long baseline = liveHeap();
        AtomicLong peak = new AtomicLong(baseline);
        AtomicBoolean running = new AtomicBoolean(true);
        List<Integer> health = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            long previous = baseline;
            for (int n = 0; running.get(); n++) {
                // held across two samples (250 ms apart): a body the service kept stays for the whole flood, while a
                // moment's burst elsewhere in this JVM (the 40 clients' own buffers, a test's leftovers) does not
                long sample = liveHeap();
                peak.accumulateAndGet(Math.min(previous, sample), Math::max);
                previous = sample;
                if (n % 4 == 3) {
                    health.add(app.get("/health", null).status());
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        int resets = 0;
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return app.send(request.get()).status();
                }));
            }
            go.countDown();
            for (Future<Integer> f : futures) {
                try {
                    statuses.merge(f.get(), 1, Integer::sum);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof UncheckedIOException)) {
                        throw e;
                    }
                    resets++;
                }
            }
        } finally {
            running.set(false);
            sampler.join();
            pool.shutdownNow();
        }
        long grew = peak.get() - baseline;
        System.out.printf("%s: live heap baseline %d MiB, peak held over two samples %d MiB; answers %s, %d connections reset, /health %s%n",
                path, baseline >> 20, peak.get() >> 20, statuses, resets, health);
        assertTrue(grew < HEAP_BUDGET, "live heap grew by " + (grew >> 20) + " MiB");
        assertTrue(!health.isEmpty() && health.stream().allMatch(s -> s == 200), "/health during the flood: " + health);
        assertEquals(200, app.get("/health", null).status());
        if (resets > 0) {
            // a client still sending when the server gave up draining: count it as the refusal it was
            statuses.merge(-1, resets, Integer::sum);
        }
        return statuses;
    }

    private static long liveHeap() {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

}
