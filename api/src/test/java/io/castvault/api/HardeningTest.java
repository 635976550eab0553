package io.castvault.api;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.castvault.api.auth.Jwt;
import io.castvault.db.Role;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Issue 11: hostile input that used to poison an org, burn CPU, answer 500 or be let through. */
class HardeningTest {
    static final int BURST = 10;
    static final AtomicInteger ADDRESSES = new AtomicInteger(1);
    static TestApp app;

    @BeforeAll
    static void start() {
        app = TestApp.start(Map.of(
                "castvault.network.trusted-proxies", "127.0.0.1/32, ::1/128",
                "castvault.agent.auth-failure-burst", BURST,
                "castvault.agent.auth-failure-refill", "1h"), false);
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
    }

    static String freshAddress() {
        int n = ADDRESSES.getAndIncrement();
        return "198.18." + (n / 250) + "." + (n % 250 + 1);
    }

    private static TestApp.Response raw(TestOrg org, String json) {
        return app.post("/api/session-recording", app.token(org.adminId()), json);
    }

    @Test
    void oneNumberCannotPoisonAnOrg() {
        TestOrg org = app.newOrg(true);
        UUID session = org.start(org.adminId());
        assertEquals(200, org.upload(org.adminId(), session, 0, "[0, \"o\", \"a\"]").status());
        TestApp.Response poisoned = org.upload(org.adminId(), session, 1, "[0.5, \"o\", \"b\"]\n[1e309, \"o\", \"x\"]");
        assertEquals(400, poisoned.status(), poisoned.body());
        assertEquals("INVALID_INPUT", poisoned.errorCode());
        assertTrue(poisoned.json().path("error").path("message").asText().contains("line 2"), poisoned.body());
        for (String duration : new String[] {"1e309", "-1e309", "1e12", "-0.5"}) {
            TestApp.Response r = raw(org, "{\"action\": \"complete\", \"org_id\": \"" + org.orgId() + "\", \"session_id\": \""
                    + session + "\", \"duration_seconds\": " + duration + "}");
            assertEquals(400, r.status(), duration + ": " + r.body());
        }
        assertEquals(200, org.complete(org.adminId(), session).status());
        TestApp.Response list = org.asAdmin(Map.of("action", "list"));
        assertEquals(200, list.status(), list.body());
        assertEquals(0, list.data().get("recordings").get(0).get("duration_seconds").asDouble());
        // the agent route's duration is bounded the same way
        TestApp.Response agent = AgentHttp.post(app, "{\"node_key\": \"" + org.machine().nodeKey() + "\", \"session_type\": \"ssh\","
                + " \"session_data\": {\"transcript\": \"[1, \\\"o\\\", \\\"a\\\"]\", \"duration_seconds\": 1e300}}", freshAddress());
        assertEquals(400, agent.status(), agent.body());
    }

    @Test
    void hugeExponentsAreRefusedAtOnceOnEveryRoute() {
        TestOrg org = app.newOrg(true);
        for (String time : new String[] {"1e50000000", "1e999999999", "1e9999999999", "1e-400"}) {
            String v3 = "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n[0.5, \"o\", \"a\"]\n[" + time + ", \"o\", \"x\"]\n";
            long started = System.nanoTime();
            TestApp.Response agent = AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(), v3, null), freshAddress());
            assertEquals(400, agent.status(), time + ": " + agent.body());
            assertTrue(agent.json().path("error").path("message").asText().contains("line 3"), agent.body());
            TestApp.Response upload = AgentHttp.upload(app, org.machine().nodeKey(), v3.getBytes(StandardCharsets.UTF_8), true);
            assertEquals(422, upload.status(), time + ": " + upload.body());
            assertTrue(System.nanoTime() - started < 2_000_000_000L, time + " took too long");
        }
        assertEquals(0, org.asAdmin(Map.of("action", "list")).data().get("recordings").size());
    }

    @Test
    void stringsAndTimesTheDatabaseCannotKeepAreInvalidInput() {
        TestOrg org = app.newOrg(true);
        UUID session = org.start(org.adminId());
        String audit = "{\"action\": \"audit\", \"org_id\": \"" + org.orgId() + "\", ";
        // times Java parses and PostgreSQL refuses; U+0000, which text cannot hold; an unpaired surrogate, which UTF-8 cannot
        for (String filter : new String[] {"\"since\": \"+294277-01-01T00:00:00Z\"", "\"until\": \"-4714-11-24T00:00:00Z\"",
                "\"since\": \"+999999999-12-31T23:59:59Z\"", "\"outcome\": \"a\\u0000b\"",
                "\"audit_action\": \"a\\u0000b\"", "\"source_ip\": \"a\\ud800b\""}) {
            TestApp.Response r = raw(org, audit + filter + "}");
            assertEquals(400, r.status(), filter + ": " + r.body());
            assertEquals("INVALID_INPUT", r.errorCode(), filter);
        }
        // a cursor naming a time out of that range is not one this service issued
        for (String forged : new String[] {"-300000000000000000:1", "-9223372036854775808:1", "9223372036854775807:1"}) {
            String cursor = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(forged.getBytes(StandardCharsets.US_ASCII));
            TestApp.Response r = raw(org, audit + "\"cursor\": \"" + cursor + "\"}");
            assertEquals(400, r.status(), forged + ": " + r.body());
        }
        java.nio.ByteBuffer listPosition = java.nio.ByteBuffer.allocate(25).put((byte) 1).putLong(Long.MIN_VALUE).putLong(1).putLong(2);
        TestApp.Response list = raw(org, "{\"action\": \"list\", \"org_id\": \"" + org.orgId() + "\", \"cursor\": \""
                + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(listPosition.array()) + "\"}");
        assertEquals(400, list.status(), list.body());
        // the export takes the same filters from its query
        for (String query : new String[] {"since=%2B294277-01-01T00:00:00Z", "outcome=a%00b"}) {
            TestApp.Response r = app.get("/api/audit/" + org.orgId() + "/export?format=csv&" + query, app.token(org.adminId()));
            assertEquals(400, r.status(), query + ": " + r.body());
            assertEquals("INVALID_INPUT", r.errorCode(), query);
        }
        // a legal hold's reason is refused, not stored as something else ('?' for the surrogate)
        for (String reason : new String[] {"a\\u0000b", "a\\ud800b"}) {
            TestApp.Response r = raw(org, "{\"action\": \"set_legal_hold\", \"org_id\": \"" + org.orgId() + "\", \"session_id\": \""
                    + session + "\", \"hold\": true, \"reason\": \"" + reason + "\"}");
            assertEquals(400, r.status(), reason + ": " + r.body());
        }
        assertFalse(org.asAdmin(Map.of("action", "get", "session_id", session.toString())).data().get("recording")
                .get("legal_hold").asBoolean());
        // an unknown action is named in the answer, but not at any length
        TestApp.Response unknown = raw(org, "{\"action\": \"" + "x".repeat(100_000) + "\", \"org_id\": \"" + org.orgId() + "\"}");
        assertEquals(400, unknown.status());
        assertTrue(unknown.body().length() < 1_000, unknown.body().length() + " characters");
    }

    @Test
    void anOversizedHeaderOrUrlIsNotCalledABody() throws Exception {
        // sent past TestApp's client: the server refuses these before any route, so openapi.yaml has no route for them
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        for (java.net.http.HttpRequest request : List.of(
                java.net.http.HttpRequest.newBuilder(app.url("/api/me")).header("X-Padding", "a".repeat(100_000)).GET().build(),
                java.net.http.HttpRequest.newBuilder(app.url("/api/" + "a".repeat(10_000))).GET().build())) {
            java.net.http.HttpResponse<String> r = client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(413, r.statusCode(), r.body());
            String message = TestApp.JSON.readTree(r.body()).path("error").path("message").asText();
            assertTrue(message.contains("headers") && message.contains("URL"), r.body());
        }
    }

    @Test
    void aV3HeaderWithAnUnpairedSurrogateIsRefusedNotRewritten() {
        TestOrg org = app.newOrg(true);
        String v3 = "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24, \"theme\": {\"bg\": \"\\ud800\"}}}\n[0.5, \"o\", \"a\"]\n";
        TestApp.Response upload = AgentHttp.upload(app, org.machine().nodeKey(), v3.getBytes(StandardCharsets.UTF_8), true);
        assertEquals(422, upload.status(), upload.body());
        assertTrue(upload.body().contains("surrogate"), upload.body());
        assertEquals(0, org.asAdmin(Map.of("action", "list")).data().get("recordings").size());
    }

    @Test
    void realFilesWithBlankLinesCommentsAndAThemeRoundTrip() {
        TestOrg org = app.newOrg(true);
        String v3 = "{\"version\": 3, \"term\": {\"cols\": 96, \"rows\": 26, \"type\": \"xterm-256color\", \"theme\":"
                + " {\"fg\": \"#aaaaaa\", \"bg\": \"#bbbbbb\", \"palette\": \"#151515:#ac4142:#7e8e50:#e5b567\"}},"
                + " \"title\": \"demo\", \"idle_time_limit\": 2.5}\n"
                + "# a comment\n[0.25, \"o\", \"hello \"]\n\n[1.0, \"o\", \"world\"]\n\n\n# more\n[0.5, \"x\", \"0\"]\n";
        TestApp.Response r = AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(), v3, null), freshAddress());
        assertEquals(201, r.status(), r.body());
        UUID session = UUID.fromString(r.data().get("session_id").asText());
        String cast = org.cast(org.adminId(), session).body();
        String[] lines = cast.split("\n");
        assertTrue(lines[0].contains("\"theme\":{\"fg\":\"#aaaaaa\",\"bg\":\"#bbbbbb\",\"palette\":\"#151515:#ac4142:#7e8e50:#e5b567\"}"), lines[0]);
        assertTrue(lines[0].contains("\"title\":\"demo\"") && lines[0].contains("\"idle_time_limit\":2.5"), lines[0]);
        assertEquals(List.of("[0.25, \"o\", \"hello \"]", "[1.25, \"o\", \"world\"]", "[1.75, \"x\", \"0\"]"),
                List.of(lines).subList(1, lines.length));
        String v2 = "{\"version\": 2, \"width\": 96, \"height\": 26}\n[0.1, \"o\", \"a\"]\n\n[0.2, \"o\", \"b\"]\n";
        TestApp.Response upload = AgentHttp.upload(app, org.machine().nodeKey(), v2.getBytes(StandardCharsets.UTF_8), true);
        assertEquals(201, upload.status(), upload.body());
        UUID chunked = org.start(org.adminId());
        assertEquals(200, org.upload(org.adminId(), chunked, 0, "[0.1, \"o\", \"a\"]\n\n[0.2, \"o\", \"b\"]\n").status());
    }

    @Test
    void chunkDataOverTheParsersStringLimitIsTooLargeNotInvalid() {
        TestOrg org = app.newOrg(true);
        UUID session = org.start(org.adminId());
        String body = "{\"action\": \"upload_chunk\", \"org_id\": \"" + org.orgId() + "\", \"session_id\": \"" + session
                + "\", \"chunk_data\": \"" + "a".repeat(21_000_000) + "\"}";
        TestApp.Response r = raw(org, body);
        assertEquals(413, r.status(), r.body().substring(0, Math.min(300, r.body().length())));
        assertEquals("PAYLOAD_TOO_LARGE", r.errorCode());
    }

    @Test
    void aTokenNeedsACanonicalSubjectAndABoundedLifetime() throws Exception {
        TestOrg org = app.newOrg(true);
        // UUID.fromString reads "1-1-1-1-1" as this user's id
        UUID shortForm = UUID.fromString("00000001-0001-0001-0001-000000000001");
        app.organizations().addUser(org.orgId(), Role.ADMIN, shortForm, "short");
        Instant now = Instant.now();
        String nonCanonical = sign(new JWTClaimsSet.Builder().subject("1-1-1-1-1").issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(600))).build());
        assertEquals(401, app.action(nonCanonical, Map.of("action", "get_settings", "org_id", org.orgId().toString())).status());
        String canonical = sign(new JWTClaimsSet.Builder().subject(shortForm.toString()).issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(600))).build());
        assertEquals(200, app.action(canonical, Map.of("action", "get_settings", "org_id", org.orgId().toString())).status());
        for (JWTClaimsSet tooLong : new JWTClaimsSet[] {
                new JWTClaimsSet.Builder().subject(shortForm.toString()).issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plus(Duration.ofDays(30)))).build(),
                new JWTClaimsSet.Builder().subject(shortForm.toString())
                        .expirationTime(Date.from(now.plus(Duration.ofDays(3650)))).build()}) {
            TestApp.Response r = app.action(sign(tooLong), Map.of("action", "get_settings", "org_id", org.orgId().toString()));
            assertEquals(401, r.status(), r.body());
        }
        assertThrows(IllegalArgumentException.class, () -> app.bean(Jwt.class).issue(shortForm, Duration.ofDays(2)));
    }

    private static String sign(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(TestApp.JWT_SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    @Test
    void everyAnswerCarriesTheBrowserHardeningHeaders() {
        for (String path : new String[] {"/", "/health", "/api/session-recording"}) {
            TestApp.Response r = app.get(path, null);
            var headers = r.raw().headers();
            String csp = headers.firstValue("Content-Security-Policy").orElse("");
            assertTrue(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"), path + ": " + csp);
            assertEquals("DENY", headers.firstValue("X-Frame-Options").orElse(null), path);
            assertEquals("nosniff", headers.firstValue("X-Content-Type-Options").orElse(null), path);
            assertEquals("no-referrer", headers.firstValue("Referrer-Policy").orElse(null), path);
        }
    }

    @Test
    void missingOrMalformedNodeKeysSpendTheBudget() {
        String address = freshAddress();
        String transcript = "[1, \\\"o\\\", \\\"a\\\"]";
        String[] keyless = {
                "{\"session_type\": \"ssh\", \"session_data\": {\"transcript\": \"" + transcript + "\"}}",
                "{\"node_key\": null, \"session_type\": \"ssh\"}",
                "{\"node_key\": \"\"}",
                "{\"node_key\": 12345}",
                "{\"node_key\": \"" + "a".repeat(300) + "\"}"};
        for (int i = 0; i < BURST; i++) {
            TestApp.Response r = AgentHttp.post(app, keyless[i % keyless.length], address);
            assertTrue(r.status() == 400 || r.status() == 401, r.body());
        }
        assertEquals(429, AgentHttp.post(app, keyless[0], address).status());
    }

    @Test
    void aConcurrentBurstOfGuessesGetsOnlyTheBudget() throws Exception {
        String address = freshAddress();
        int guesses = 40;
        ExecutorService pool = Executors.newFixedThreadPool(guesses);
        List<Future<TestApp.Response>> answers = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        try {
            for (int i = 0; i < guesses; i++) {
                String key = String.format("%064x", i + 1);
                answers.add(pool.submit(() -> {
                    go.await();
                    return AgentHttp.post(app, AgentHttp.report(key, "[1, \"o\", \"a\"]", null), address);
                }));
            }
            go.countDown();
            int unauthorized = 0;
            for (Future<TestApp.Response> f : answers) {
                int status = f.get().status();
                assertTrue(status == 401 || status == 429, "status " + status);
                unauthorized += status == 401 ? 1 : 0;
            }
            assertEquals(BURST, unauthorized, "keys looked up for one address");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aBrokenSpoolDiskIsNotReportedAsTheObjectStore() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("not-a-directory", ".tmp");
        try (TestApp broken = TestApp.start(Map.of("castvault.agent.spool-directory", file.resolve("spool").toString()), false)) {
            TestOrg org = broken.newOrg(true);
            TestApp.Response r = AgentHttp.post(broken, AgentHttp.report(org.machine().nodeKey(), "[1, \"o\", \"a\"]", null), null);
            assertEquals(503, r.status(), r.body());
            assertEquals("SPOOL_UNAVAILABLE", r.errorCode());
            assertTrue(r.raw().headers().firstValue("Retry-After").isPresent());
            assertFalse(r.body().contains("Exception"), r.body());
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void productionRefusesTheDevelopmentSecretsNamingTheVariable() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> TestApp.start(Map.of("castvault.env", "production",
                "castvault.auth.jwt-secret", "castvault-development-secret-change-me-0123456789"), false));
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertTrue(messages.toString().contains("AUTH_JWT_SECRET is unset or a built-in development value")
                || messages.toString().contains("AUTH_JWT_SECRET, "), messages.toString());
    }

    /** The bare service (a {@code java -jar}, a container) is production unless told otherwise. */
    @Test
    void withoutCastvaultEnvTheServiceIsProductionAndRefusesTheDevelopmentSecrets() throws Exception {
        assumeTrue(System.getenv("CASTVAULT_ENV") == null, "CASTVAULT_ENV is set in the test's environment");
        RuntimeException e = assertThrows(RuntimeException.class, () -> TestApp.startWithoutEnvironment(Map.of(
                "castvault.auth.jwt-secret", "castvault-development-secret-change-me-0123456789")));
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertTrue(messages.toString().contains("CASTVAULT_ENV=production: AUTH_JWT_SECRET is unset or a built-in"
                + " development value"), messages.toString());
        // the same start with this deployment's own secret runs: it was the secret that was refused
        try (TestApp own = TestApp.startWithoutEnvironment(Map.of())) {
            assertEquals(200, own.get("/health", null).status());
        }
    }
}
