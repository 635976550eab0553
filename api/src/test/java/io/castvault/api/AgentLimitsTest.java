package io.castvault.api;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import static io.castvault.api.SettingsAndAuthTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The size caps (configurable; small here) and a service that trusts no proxy. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentLimitsTest {
    static final int CAP = 64 * 1024;
    static TestApp app;

    @BeforeAll
    static void start() {
        app = TestApp.start(Map.of(
                "castvault.limits.max-transcript-bytes", CAP,
                "micronaut.server.max-request-size", "1MB",
                "castvault.agent.auth-failure-burst", 2,
                "castvault.agent.auth-failure-refill", "1h"), false);
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
    }

    @Test
    @Order(1)
    void transcriptsOverTheCapAre413AndStoreNothing() {
        TestOrg org = app.newOrg(true);
        String line = "[1, \"o\", \"" + "x".repeat(1000) + "\"]\n";
        String fits = line.repeat(CAP / line.length() - 1);
        String over = line.repeat(CAP / line.length() + 1);
        assertEquals(201, AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(), fits, null), null).status());
        assertError(AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(), over, null), null), 413, "PAYLOAD_TOO_LARGE");

        String header = "{\"version\": 2, \"width\": 80, \"height\": 24}\n";
        TestApp.Response upload = AgentHttp.upload(app, org.machine().nodeKey(),
                (header + over).getBytes(StandardCharsets.UTF_8), true);
        assertEquals(413, upload.status());
        assertTrue(upload.body().contains(Integer.toString(CAP)), upload.body());
        assertEquals(1, org.asAdmin(Map.of("action", "list")).data().get("recordings").size());
    }

    @Test
    @Order(2)
    void bodiesOverTheRequestLimitAre413AndTheClientCanGoOn() {
        TestOrg org = app.newOrg(true);
        String key = org.machine().nodeKey();
        // escapes make the body far larger than the transcript it carries
        String escaped = ("[1, \"o\", \"" + "\\u001b".repeat(100) + "\"]\n").repeat(2000);
        // far over the limit too: the answer comes while the client is still sending, and must still reach it
        String huge = ("[1, \"o\", \"" + "y".repeat(1000) + "\"]\n").repeat(16 * 1024);
        for (String transcript : new String[] {escaped, huge, huge}) {
            assertError(AgentHttp.post(app, AgentHttp.report(key, transcript, null), null), 413, "PAYLOAD_TOO_LARGE");
            assertEquals(201, AgentHttp.post(app, AgentHttp.report(key, AgentIngestTest.ST5_TRANSCRIPT, null), null).status());
        }

        String header = "{\"version\": 2, \"width\": 80, \"height\": 24}\n";
        String line = "[0.5, \"o\", \"" + "z".repeat(1000) + "\"]\n";
        // over our cap only, then over the server's request limit too, then far over it
        for (int lines : new int[] {500, 2000, 16 * 1024}) {
            TestApp.Response r = AgentHttp.upload(app, key, (header + line.repeat(lines)).getBytes(StandardCharsets.UTF_8), true);
            assertEquals(413, r.status(), r.body());
            TestApp.Response next = AgentHttp.upload(app, key, AgentIngestTest.asciicastV2(), true);
            assertEquals(201, next.status(), next.body());
        }
    }

    /**
     * The report's own limit, 6 × the transcript cap + 64 KiB (here 448 KiB), under the server's 1 MB: whitespace
     * between members, which the reader skips, can only be refused by it. Before, the route read up to the
     * server's limit.
     */
    @Test
    @Order(3)
    void theReportHasItsOwnBodyLimitCountedWhileStreaming() {
        TestOrg org = app.newOrg(true);
        long limit = 6L * CAP + 64 * 1024;
        String head = "{\"node_key\": \"" + org.machine().nodeKey() + "\", \"session_type\": \"ssh\",";
        String tail = "\"session_data\": {\"transcript\": "
                + TestApp.JSON.getNodeFactory().textNode(AgentIngestTest.ST5_TRANSCRIPT) + "}}";
        int padding = (int) limit - head.length() - tail.length();
        assertEquals(201, AgentHttp.post(app, head + " ".repeat(padding) + tail, null).status());
        // one byte over, refused on its Content-Length before it is read
        TestApp.Response over = AgentHttp.post(app, head + " ".repeat(padding + 1) + tail, null);
        assertError(over, 413, "PAYLOAD_TOO_LARGE");
        assertTrue(over.body().contains(Long.toString(limit)), over.body());
        // no Content-Length (chunked) and far over: refused once the limit is read, not at the server's 1 MB
        byte[] headBytes = head.getBytes(StandardCharsets.UTF_8);
        HttpRequest chunked = HttpRequest.newBuilder(app.url(AgentHttp.AGENT_PATH)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new SequenceInputStream(
                        new ByteArrayInputStream(headBytes), new Spaces(16L * 1024 * 1024))))
                .build();
        TestApp.Response streamed = app.send(chunked);
        assertError(streamed, 413, "PAYLOAD_TOO_LARGE");
        assertTrue(streamed.body().contains(Long.toString(limit)), streamed.body());
        assertEquals(201, AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(), AgentIngestTest.ST5_TRANSCRIPT, null), null).status());
        assertEquals(2, org.asAdmin(Map.of("action", "list")).data().get("recordings").size());
    }

    /** {@code count} JSON whitespace bytes, made as they are read. */
    private static final class Spaces extends InputStream {
        private long left;

        Spaces(long count) {
            left = count;
        }

        @Override
        public int read() {
            return left-- > 0 ? ' ' : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            Arrays.fill(b, off, off + n, (byte) ' ');
            left -= n;
            return n;
        }
    }

    @Test
    @Order(4)
    void aRefusedKeyWithALargeBodyLeavesTheClientWorking() {
        TestOrg org = app.newOrg(true);
        String transcript = ("[1, \"o\", \"" + "w".repeat(1000) + "\"]\n").repeat(60); // under the cap, over one read
        // one failure of the burst of 2 the limiter allows here
        assertError(AgentHttp.post(app, AgentHttp.report("ab".repeat(32), transcript, null), null), 401, "UNAUTHORIZED");
        assertEquals(201, AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(), transcript, null), null).status());
    }

    @Test
    @Order(5)
    void forwardedForFromAnUntrustedPeerIsIgnored() {
        TestOrg org = app.newOrg(true);
        String bad = AgentHttp.report("12".repeat(32), AgentIngestTest.ST5_TRANSCRIPT, null);
        // the test before used one failure of the burst of 2
        assertError(AgentHttp.post(app, bad, "198.51.100.1"), 401, "UNAUTHORIZED");
        // a new X-Forwarded-For per request does not buy new attempts: the peer itself is the source
        assertError(AgentHttp.post(app, bad, "198.51.100.2"), 429, "RATE_LIMITED");
        assertError(AgentHttp.post(app, bad, "198.51.100.3"), 429, "RATE_LIMITED");
        TestApp.Response upload = AgentHttp.upload(app, org.machine().nodeKey(), AgentIngestTest.asciicastV2(), true);
        assertEquals(429, upload.status());
        assertTrue(upload.raw().headers().firstValue("Retry-After").isPresent());
    }
}
