package io.castvault.api;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
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

    @Test
    @Order(3)
    void aRefusedKeyWithALargeBodyLeavesTheClientWorking() {
        TestOrg org = app.newOrg(true);
        String transcript = ("[1, \"o\", \"" + "w".repeat(1000) + "\"]\n").repeat(60); // under the cap, over one read
        // one failure of the burst of 2 the limiter allows here
        assertError(AgentHttp.post(app, AgentHttp.report("ab".repeat(32), transcript, null), null), 401, "UNAUTHORIZED");
        assertEquals(201, AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(), transcript, null), null).status());
    }

    @Test
    @Order(4)
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
