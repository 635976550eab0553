package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.agentingest.Machines;
import io.castvault.agentingest.NodeKeyDirectory;
import io.castvault.agentingest.RateLimitedException;
import io.castvault.api.http.Envelope;
import io.castvault.core.CastHeader;
import io.castvault.db.Role;
import io.micronaut.context.BeanContext;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import io.micronaut.inject.qualifiers.Qualifiers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static io.castvault.api.SettingsAndAuthTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed ST5 and issue 4 over real HTTP, PostgreSQL and S3: the node-key report, the asciinema upload route, and
 * what protects them (key checks, rate limiting of failures per source address, validation).
 *
 * <p>The service trusts the loopback as a proxy here, so each test speaks from its own address through
 * {@code X-Forwarded-For} and the failure budgets of different tests do not mix.
 */
class AgentIngestTest {
    static final String ST5_TRANSCRIPT = "[0, \"o\", \"$ uname\\n\"]\n[0.5, \"o\", \"Linux linux-c\\n\"]";
    static final AtomicInteger ADDRESSES = new AtomicInteger(1);
    static TestApp app;

    @BeforeAll
    static void start() {
        app = TestApp.start(Map.of(
                "castvault.network.trusted-proxies", "127.0.0.1/32, ::1/128",
                "castvault.agent.auth-failure-burst", 3,
                "castvault.agent.auth-failure-refill", "1h"), false);
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
    }

    /** A fresh documentation address (TEST-NET-3) for each caller. */
    static String freshAddress() {
        int n = ADDRESSES.getAndIncrement();
        return "203.0." + (n / 250) + "." + (n % 250 + 1);
    }

    static TestApp.Response report(String body) {
        return AgentHttp.post(app, body, freshAddress());
    }

    @Test
    void seedSt5ReportCreatesACompletedRecordingInOneStep() {
        TestOrg org = app.newOrg(true);
        TestApp.Response r = report(AgentHttp.report(org.machine().nodeKey(), ST5_TRANSCRIPT, 30.0));
        assertEquals(201, r.status(), r.body());
        assertTrue(r.json().get("success").asBoolean());
        assertTrue(r.json().get("error").isNull());
        assertEquals("completed", r.data().get("status").asText());
        UUID session = UUID.fromString(r.data().get("session_id").asText());

        JsonNode list = org.asAdmin(Map.of("action", "list")).data();
        JsonNode row = list.get("recordings").get(0);
        assertEquals(session.toString(), row.get("id").asText());
        assertEquals("completed", row.get("status").asText());
        assertEquals(30.0, row.get("duration_seconds").asDouble());
        assertEquals(org.machine().machineId().toString(), row.get("machine_id").asText());

        JsonNode got = org.asAdmin(Map.of("action", "get", "session_id", session.toString())).data();
        JsonNode rec = got.get("recording");
        assertEquals(org.memberId().toString(), rec.get("user_id").asText(), "user_id is the machine's owner");
        assertEquals("ssh", rec.get("session_type").asText());
        assertTrue(rec.get("metadata").get("reported_by_agent").asBoolean());
        assertEquals("Linux-C", rec.get("metadata").get("machine_name").asText());
        assertNotNull(rec.get("ended_at").textValue());

        // the download is the header the file lacked plus the events, and hashes to recording_sha256
        TestApp.Response cast = org.cast(org.adminId(), session);
        assertEquals(200, cast.status());
        String expected = CastHeader.DEFAULT.line() + "\n" + ST5_TRANSCRIPT + "\n";
        assertEquals(expected, cast.body());
        String sha = AgentHttp.sha256Hex(cast.raw().body());
        assertEquals(sha, rec.get("metadata").get("recording_sha256").asText());
        JsonNode summary = got.get("r2_data");
        assertEquals(sha, summary.get("recording_sha256").asText());
        assertEquals(2, summary.get("transcript_lines").asLong());
        assertEquals("recordings/" + org.orgId() + "/" + session + "/chunk-0.cast",
                summary.get("chunks").get(0).get("key").asText());
        // the member owns it (as the machine's owner), so may read it
        assertEquals(200, org.cast(org.memberId(), session).status());
    }

    @Test
    void withoutDurationTheLastEventTimeIsTheDuration() {
        TestOrg org = app.newOrg(true);
        String transcript = "{\"version\": 2, \"width\": 120, \"height\": 40}\n"
                + "[0.25, \"o\", \"a\"]\r\n[7.125, \"o\", \"b\\u001b[0m\"]\n\n";
        TestApp.Response r = report(AgentHttp.report(org.machine().nodeKey(), transcript, null));
        assertEquals(201, r.status(), r.body());
        UUID session = UUID.fromString(r.data().get("session_id").asText());
        JsonNode rec = org.asAdmin(Map.of("action", "get", "session_id", session.toString())).data().get("recording");
        assertEquals(7.125, rec.get("duration_seconds").asDouble());
        // the recorder's own header is kept; CRLF and the trailing blank line are normalised away
        assertEquals("{\"version\": 2, \"width\": 120, \"height\": 40}\n[0.25, \"o\", \"a\"]\n[7.125, \"o\", \"b\\u001b[0m\"]\n",
                org.cast(org.adminId(), session).body());
    }

    @Test
    void fieldOrderDoesNotMatterAndUnknownFieldsAreIgnored() {
        TestOrg org = app.newOrg(true);
        String body = "{\"session_data\": {\"extra\": [1, {\"x\": null}], \"transcript\": \"[1, \\\"o\\\", \\\"\\u00e9\\ud83d\\ude00\\\"]\","
                + " \"duration_seconds\": 2.5}, \"client_version\": \"1.2\", \"session_type\": \"rdp\","
                + " \"node_key\": \"" + org.machine().nodeKey() + "\"}";
        TestApp.Response r = report(body);
        assertEquals(201, r.status(), r.body());
        UUID session = UUID.fromString(r.data().get("session_id").asText());
        String cast = new String(org.cast(org.adminId(), session).raw().body(), StandardCharsets.UTF_8);
        assertTrue(cast.endsWith("[1, \"o\", \"é😀\"]\n"), cast);
    }

    @Test
    void unknownAndDeletedKeysAre401AndADeletedMachineIsRevokedAtOnce() throws InterruptedException {
        TestOrg org = app.newOrg(true);
        String address = freshAddress();
        assertError(AgentHttp.post(app, AgentHttp.report("ab".repeat(32), ST5_TRANSCRIPT, null), address), 401, "UNAUTHORIZED");

        Machines.NewMachine machine = app.machines().add(org.orgId(), "doomed", org.memberId());
        assertEquals(201, report(AgentHttp.report(machine.nodeKey(), ST5_TRANSCRIPT, null)).status());
        // deleted the way the admin CLI does it, straight in the database; the very next report fails (the
        // insert holds the machine row, so even a cache not yet told of the delete cannot let it through)
        app.machines().delete(machine.machineId());
        assertError(AgentHttp.post(app, AgentHttp.report(machine.nodeKey(), ST5_TRANSCRIPT, null), freshAddress()),
                401, "UNAUTHORIZED");
        // and the change notification empties the node-key cache
        NodeKeyDirectory keys = app.bean(NodeKeyDirectory.class);
        long deadline = System.currentTimeMillis() + 5_000;
        while (keys.find(machine.nodeKey()).isPresent() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(keys.find(machine.nodeKey()).isEmpty(), "the cache forgot the deleted machine");
        // the earlier recording stays, without its machine
        JsonNode rows = org.asAdmin(Map.of("action", "list")).data().get("recordings");
        assertEquals(1, rows.size());
        assertTrue(rows.get(0).get("machine_id").isNull());
    }

    @Test
    void recordingDisabledAndFeatureDisabledAre403() {
        TestOrg disabled = app.newOrg(false);
        assertError(report(AgentHttp.report(disabled.machine().nodeKey(), ST5_TRANSCRIPT, null)), 403, "RECORDING_DISABLED");
        assertEquals(0, disabled.asAdmin(Map.of("action", "list")).data().get("recordings").size());

        UUID orgId = app.organizations().create("no-feature", false);
        UUID owner = app.organizations().addUser(orgId, Role.MEMBER, null, "m");
        Machines.NewMachine machine = app.machines().add(orgId, "box", owner);
        assertError(report(AgentHttp.report(machine.nodeKey(), ST5_TRANSCRIPT, null)), 403, "FEATURE_DISABLED");
    }

    @Test
    void invalidReportsAre400AndStoreNothing() {
        TestOrg org = app.newOrg(true);
        String key = org.machine().nodeKey();
        for (String transcript : List.of("hello world", "[0, \"o\"]", "[\"x\", \"o\", \"a\"]", "[1, \"z\", \"a\"]",
                "", "{\"version\": 9}\n[1, \"o\", \"a\"]", "[-1, \"o\", \"a\"]", "[1e309, \"o\", \"a\"]")) {
            assertError(report(AgentHttp.report(key, transcript, null)), 400, "INVALID_INPUT");
        }
        assertError(report("{not json"), 400, "INVALID_INPUT");
        assertError(report("[1, 2]"), 400, "INVALID_INPUT");
        assertError(report(""), 400, "INVALID_INPUT");
        assertError(report("{\"node_key\": \"" + key + "\", \"node_key\": \"" + key + "\"}"), 400, "INVALID_INPUT");
        assertError(report(AgentHttp.report(key, ST5_TRANSCRIPT, -1.0)), 400, "INVALID_INPUT");
        assertError(report("{\"node_key\": \"" + key + "\", \"session_type\": \"ssh\", \"session_data\": {"
                + "\"transcript\": \"[1, \\\"o\\\", \\\"a\\\"]\", \"duration_seconds\": \"30\"}}"), 400, "INVALID_INPUT");
        assertError(report("{\"node_key\": \"" + key + "\", \"session_type\": \"Bad Type!\", \"session_data\": {"
                + "\"transcript\": \"[1, \\\"o\\\", \\\"a\\\"]\"}}"), 400, "INVALID_INPUT");
        assertError(report("{\"node_key\": \"" + key + "\", \"session_type\": \"ssh\", \"session_data\": {}}"),
                400, "MISSING_FIELDS");
        assertError(report("{\"node_key\": \"" + key + "\", \"session_data\": {\"transcript\": \"[1, \\\"o\\\", \\\"a\\\"]\"}}"),
                400, "MISSING_FIELDS");
        assertError(report("{\"session_type\": \"ssh\", \"session_data\": {\"transcript\": \"[1, \\\"o\\\", \\\"a\\\"]\"}}"),
                400, "MISSING_FIELDS");
        assertEquals(0, org.asAdmin(Map.of("action", "list")).data().get("recordings").size());
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void aRateLimitReachingTheExceptionHandlersKeepsItsWait() {
        // the handler the framework picks for an exception: the one whose type is closest (RequestLifecycle)
        ExceptionHandler handler = app.bean(BeanContext.class).getBean(ExceptionHandler.class,
                Qualifiers.byTypeArgumentsClosest(RateLimitedException.class, Object.class));
        HttpResponse<?> r = (HttpResponse<?>) handler.handle(HttpRequest.GET("/api/session-recording-agent"),
                new RateLimitedException(7));
        assertEquals(429, r.code());
        assertEquals("7", r.getHeaders().get(HttpHeaders.RETRY_AFTER));
        assertEquals("RATE_LIMITED", ((Envelope) r.body()).error().code());
    }

    @Test
    void failedAuthenticationsAreRateLimitedPerSourceAddress() {
        TestOrg org = app.newOrg(true);
        String attacker = freshAddress();
        String bad = AgentHttp.report("00".repeat(32), ST5_TRANSCRIPT, null);
        for (int i = 0; i < 3; i++) {
            assertError(AgentHttp.post(app, bad, attacker), 401, "UNAUTHORIZED");
        }
        TestApp.Response limited = AgentHttp.post(app, bad, attacker);
        assertError(limited, 429, "RATE_LIMITED");
        long retryAfter = Long.parseLong(limited.raw().headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter > 0 && retryAfter <= 3600, "Retry-After " + retryAfter);
        // the address is refused even with a good key: it cannot keep guessing between successes
        String good = AgentHttp.report(org.machine().nodeKey(), ST5_TRANSCRIPT, null);
        assertError(AgentHttp.post(app, good, attacker), 429, "RATE_LIMITED");
        // everyone else is untouched, at once
        long started = System.nanoTime();
        assertEquals(201, AgentHttp.post(app, good, freshAddress()).status());
        assertTrue(System.nanoTime() - started < 5_000_000_000L);
        // the nearest untrusted hop counts, not what the client wrote further left
        assertError(AgentHttp.post(app, bad, "198.51.100.1, " + attacker), 429, "RATE_LIMITED");
        // the asciinema route shares the budget
        TestApp.Response upload = AgentHttp.upload(app, org.machine().nodeKey(), asciicastV2(), true);
        assertEquals(201, upload.status(), "loopback itself is not limited: " + upload.body());
    }

    @Test
    void aBadKeyIsRefusedWithoutReadingALargeTranscript() {
        TestOrg disabled = app.newOrg(false);
        String line = GeneratedBody.escapedEventLine(4096);
        for (String key : List.of("cd".repeat(32), disabled.machine().nodeKey())) {
            String prefix = "{\"node_key\": \"" + key + "\", \"session_type\": \"ssh\", \"session_data\": {\"transcript\": \"";
            java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(app.url(AgentHttp.AGENT_PATH))
                    .timeout(java.time.Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .header("X-Forwarded-For", freshAddress())
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                            () -> new GeneratedBody(prefix, line, 8_000, "\"}}")))
                    .build();
            TestApp.Response r = app.send(request);
            assertEquals(key.equals(disabled.machine().nodeKey()) ? 403 : 401, r.status(), r.body());
        }
    }

    static byte[] asciicastV2() {
        return ("{\"version\": 2, \"width\": 100, \"height\": 30, \"timestamp\": 1700000000, \"env\": {\"TERM\": \"xterm\"}}\n"
                + "[0.1, \"o\", \"$ echo hi\\r\\n\"]\n[0.2, \"o\", \"hi\\r\\n\"]\n[1.75, \"r\", \"90x20\"]\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void asciinemaUploadOfAV2FileAnswersWithTheRecordingUrl() {
        TestOrg org = app.newOrg(true);
        byte[] file = asciicastV2();
        TestApp.Response r = AgentHttp.upload(app, org.machine().nodeKey(), file, true);
        assertEquals(201, r.status(), r.body());
        assertTrue(r.raw().headers().firstValue("content-type").orElse("").startsWith("application/json"));
        String url = r.json().get("url").asText();
        assertEquals(url, r.raw().headers().firstValue("Location").orElseThrow());
        assertTrue(r.json().get("message").asText().contains(url));
        String path = url.substring(url.indexOf("/api/"));
        assertTrue(url.startsWith(app.url("").toString()), url);
        UUID session = UUID.fromString(path.split("/")[4]);
        assertEquals("/api/session-recording/" + org.orgId() + "/" + session + "/cast", path);

        TestApp.Response cast = app.get(path, app.token(org.adminId()));
        assertEquals(200, cast.status());
        assertEquals(new String(file, StandardCharsets.UTF_8), cast.body(), "a v2 file is served byte for byte");
        JsonNode rec = org.asAdmin(Map.of("action", "get", "session_id", session.toString())).data().get("recording");
        assertEquals(AgentHttp.sha256Hex(file), rec.get("metadata").get("recording_sha256").asText());
        assertEquals(1.75, rec.get("duration_seconds").asDouble());
        assertEquals(org.memberId().toString(), rec.get("user_id").asText());
        assertTrue(rec.get("metadata").get("reported_by_agent").asBoolean());

        // without Accept: application/json the body is the bare URL, as the client also understands
        TestApp.Response plain = AgentHttp.upload(app, org.machine().nodeKey(), file, false);
        assertEquals(201, plain.status());
        assertTrue(plain.body().startsWith("http://") && plain.body().endsWith("/cast"), plain.body());
    }

    @Test
    void asciinemaV3UploadIsServedAsAReplayableV2File() {
        TestOrg org = app.newOrg(true);
        String v3 = "{\"version\": 3, \"term\": {\"cols\": 132, \"rows\": 43, \"type\": \"xterm-256color\"}, \"timestamp\": 1700000000}\n"
                + "[0.5, \"o\", \"one\"]\n# a comment\n[0.25, \"o\", \"two\"]\n[1.0, \"x\", \"0\"]\n";
        TestApp.Response r = AgentHttp.upload(app, org.machine().nodeKey(), v3.getBytes(StandardCharsets.UTF_8), true);
        assertEquals(201, r.status(), r.body());
        String url = r.json().get("url").asText();
        String cast = app.get(url.substring(url.indexOf("/api/")), app.token(org.adminId())).body();
        String[] lines = cast.split("\n");
        assertEquals(4, lines.length, cast);
        JsonNode header = AgentHttp.parse(lines[0]);
        assertEquals(2, header.get("version").asInt());
        assertEquals(132, header.get("width").asInt());
        assertEquals(43, header.get("height").asInt());
        assertEquals("xterm-256color", header.get("env").get("TERM").asText());
        assertEquals(0.5, AgentHttp.parse(lines[1]).get(0).asDouble());
        assertEquals("one", AgentHttp.parse(lines[1]).get(2).asText());
        assertEquals(0.75, AgentHttp.parse(lines[2]).get(0).asDouble());
        assertEquals("two", AgentHttp.parse(lines[2]).get(2).asText());
        assertEquals(1.75, AgentHttp.parse(lines[3]).get(0).asDouble());
        String session = url.split("/")[url.split("/").length - 2];
        JsonNode rec = org.asAdmin(Map.of("action", "get", "session_id", session)).data().get("recording");
        assertEquals(1.75, rec.get("duration_seconds").asDouble());
        assertEquals(AgentHttp.sha256Hex(cast.getBytes(StandardCharsets.UTF_8)),
                rec.get("metadata").get("recording_sha256").asText());
    }

    @Test
    void asciinemaErrorsAreWhatTheClientExpects() {
        TestOrg org = app.newOrg(true);
        TestApp.Response badKey = AgentHttp.upload(app, "ff".repeat(32), asciicastV2(), true);
        assertEquals(401, badKey.status());
        TestApp.Response noAuth = AgentHttp.upload(app, null, asciicastV2(), true);
        assertEquals(401, noAuth.status());
        TestApp.Response invalid = AgentHttp.upload(app, org.machine().nodeKey(),
                "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"o\"]\n".getBytes(StandardCharsets.UTF_8), true);
        assertEquals(422, invalid.status());
        assertTrue(invalid.body().contains("line 2"), invalid.body());
        TestApp.Response headerless = AgentHttp.upload(app, org.machine().nodeKey(),
                "[1, \"o\", \"a\"]\n".getBytes(StandardCharsets.UTF_8), true);
        assertEquals(422, headerless.status());
        TestApp.Response binary = AgentHttp.upload(app, org.machine().nodeKey(), new byte[] {(byte) 0xff, (byte) 0xfe, 0}, true);
        assertEquals(422, binary.status());
        assertFalse(badKey.body().contains("\tat "));
        assertEquals(0, org.asAdmin(Map.of("action", "list")).data().get("recordings").size());
    }
}
