package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.db.Role;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every action's success and error answers, held to openapi.yaml by {@link TestApp} (which fails the class at
 * {@code close()} on any violation); then a check that the answers seen cover every action of the contract (its
 * §3 and §6) and every error code: those of the action route there, the rate limit on the machines' routes.
 */
class OpenApiTest {
    /** Every action of CONTRACT.md §3 and §6, as the discriminator of openapi.yaml names them. */
    private static final Set<String> ACTIONS = Set.of("get_settings", "update_settings", "start", "upload_chunk",
            "complete", "get", "list", "delete", "cleanup", "download_url", "get_public_keys", "rotate_signing_key",
            "verify", "audit", "verify_audit", "set_legal_hold");
    private static TestApp app;

    /**
     * The object store and PostgreSQL each behind a relay the test cuts; loopback is a trusted proxy, so a
     * forwarded address can spend its budget of failed machine authentications (2, refilled hourly).
     */
    @BeforeAll
    static void start() {
        app = TestApp.startWithDatabaseRelay(Map.of(
                "castvault.limits.max-chunk-bytes", 4096,
                "castvault.database.connect-timeout", "2s",
                "castvault.network.trusted-proxies", "127.0.0.1/32, ::1/128",
                "castvault.agent.auth-failure-burst", 2,
                "castvault.agent.auth-failure-refill", "1h"), true);
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
    }

    private static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void everyActionAndErrorConforms() {
        TestOrg org = app.newOrg(true);
        TestOrg other = app.newOrg(true);
        String s;
        // settings
        assertEquals(200, org.asMember(body("action", "get_settings")).status());
        assertEquals(200, org.asAdmin(body("action", "update_settings", "retention_days", 30, "storage_mode", "platform")).status());
        assertEquals(400, org.asAdmin(body("action", "update_settings", "storage_mode", "nowhere")).status());
        assertEquals(403, org.asMember(body("action", "update_settings", "retention_days", 3)).status());
        assertEquals(401, app.action(null, body("action", "get_settings", "org_id", org.orgId().toString())).status());
        assertEquals(403, other.asAdmin(body("action", "get_settings", "org_id", org.orgId().toString())).status());
        assertEquals(400, org.asAdmin(body("action", "no_such_action")).status());
        assertEquals(400, app.post("/api/session-recording", org.memberToken(), "{not json").status());

        // start, upload, complete, get, list
        UUID session = org.start(org.memberId());
        assertEquals(400, org.asMember(body("action", "start", "session_type", "ssh")).status());
        s = session.toString();
        assertEquals(200, org.asMember(body("action", "get", "session_id", s)).status()); // active: r2_data null
        assertEquals(200, org.upload(org.memberId(), session, 0, "[0.5, \"o\", \"hi\"]").status());
        assertEquals(200, org.upload(org.memberId(), session, 0, "[0.5, \"o\", \"hi\"]").status());
        assertEquals(409, org.upload(org.memberId(), session, 0, "[0.5, \"o\", \"other\"]").status());
        assertEquals(400, org.upload(org.memberId(), session, 1, "not asciicast").status());
        assertEquals(413, org.upload(org.memberId(), session, 1, "[0.5, \"o\", \"" + "x".repeat(5000) + "\"]").status());
        assertEquals(400, org.asMember(body("action", "upload_chunk", "session_id", s)).status());
        assertEquals(200, org.upload(org.memberId(), session, 2, "[1.5, \"o\", \"later\"]").status());
        assertEquals(200, org.complete(org.memberId(), session).status());
        assertEquals(409, org.complete(org.memberId(), session).status());
        assertEquals(200, org.asAuditor(body("action", "get", "session_id", s)).status());
        assertEquals(404, org.asAdmin(body("action", "get", "session_id", UUID.randomUUID().toString())).status());
        assertEquals(404, other.asAdmin(body("action", "get", "session_id", s)).status());
        assertEquals(200, org.asAdmin(body("action", "list", "limit", 5, "status", "completed")).status());
        assertEquals(400, org.asAdmin(body("action", "list", "status", "deleting")).status());
        assertEquals(200, org.cast(org.memberId(), session).status());
        assertEquals(404, app.get("/api/session-recording/" + org.orgId() + "/" + UUID.randomUUID() + "/cast", org.memberToken()).status());
        assertEquals(401, app.get("/api/session-recording/" + org.orgId() + "/" + s + "/cast", null).status());

        // evidence: a presigned download, the keys, a rotation, verification
        assertEquals(200, org.asMember(body("action", "download_url", "session_id", s, "ttl_seconds", 120)).status());
        assertEquals(400, org.asMember(body("action", "download_url", "session_id", s, "ttl_seconds", 59)).status());
        assertEquals(200, org.asMember(body("action", "get_public_keys")).status());
        assertEquals(403, org.asMember(body("action", "rotate_signing_key")).status());
        assertEquals(200, org.asAdmin(body("action", "rotate_signing_key")).status());
        assertEquals(200, org.asAuditor(body("action", "verify", "session_id", s)).status());
        assertEquals(200, org.asAdmin(body("action", "verify")).status());
        assertEquals(404, org.asAdmin(body("action", "verify", "session_id", UUID.randomUUID().toString())).status());
        assertEquals(403, org.asMember(body("action", "verify")).status());
        assertEquals(200, app.get("/api/session-recording/" + org.orgId() + "/" + s + "/evidence", app.token(org.auditorId())).status());

        // the audit trail: a page, the next one, filters, the chain's verification, the export
        TestApp.Response page = org.asAuditor(body("action", "audit", "limit", 3));
        assertEquals(200, page.status());
        assertTrue(page.data().get("next_cursor").isTextual(), page.body());
        assertEquals(200, org.asAuditor(body("action", "audit", "limit", 3, "cursor", page.data().get("next_cursor").asText())).status());
        assertEquals(200, org.asAdmin(body("action", "audit", "audit_action", "get", "session_id", s, "outcome", "ok")).status());
        assertEquals(400, org.asAdmin(body("action", "audit", "cursor", "bogus!")).status());
        assertEquals(403, org.asMember(body("action", "audit")).status());
        assertEquals(200, org.asAuditor(body("action", "verify_audit")).status());
        assertEquals(200, app.get("/api/audit/" + org.orgId() + "/export?format=jsonl", app.token(org.auditorId())).status());

        // legal hold: a held recording refuses delete until released
        assertEquals(400, org.asAdmin(body("action", "set_legal_hold", "session_id", s, "hold", true)).status());
        assertEquals(200, org.asAdmin(body("action", "set_legal_hold", "session_id", s, "hold", true, "reason", "case 17")).status());
        assertEquals(409, org.asAdmin(body("action", "delete", "session_id", s)).status());
        assertEquals(200, org.asAdmin(body("action", "set_legal_hold", "session_id", s, "hold", false)).status());

        // delete, cleanup
        assertEquals(403, org.asMember(body("action", "delete", "session_id", s)).status());
        assertEquals(200, org.asAdmin(body("action", "delete", "session_id", s)).status());
        assertEquals(404, org.asAdmin(body("action", "delete", "session_id", s)).status());
        assertEquals(200, org.asAdmin(body("action", "cleanup")).status());
        assertEquals(403, org.asAuditor(body("action", "cleanup")).status());

        // RECORDING_DISABLED and FEATURE_DISABLED
        TestOrg off = app.newOrg(false);
        assertEquals(403, off.asMember(body("action", "start", "machine_id", off.machine().machineId().toString(), "session_type", "ssh")).status());
        UUID bare = app.organizations().create("bare-" + UUID.randomUUID(), false);
        UUID bareAdmin = app.organizations().addUser(bare, Role.ADMIN, null, "a");
        assertEquals(403, app.action(app.token(bareAdmin), body("action", "get_settings", "org_id", bare.toString())).status());

        // the object store gone: 503 in the envelope
        UUID held = org.start(org.memberId());
        app.relay().cut();
        try {
            assertEquals(503, org.upload(org.memberId(), held, 0, "[0.5, \"o\", \"hi\"]").status());
        } finally {
            app.relay().restore();
        }

        // PostgreSQL gone: 503 DATABASE_UNAVAILABLE with Retry-After, and the probes say so
        app.databaseRelay().cut();
        try {
            TestApp.Response down = org.asAdmin(body("action", "get_settings"));
            assertEquals(503, down.status(), down.body());
            assertEquals("DATABASE_UNAVAILABLE", down.errorCode());
            assertTrue(down.raw().headers().firstValue("Retry-After").isPresent());
            assertEquals(503, app.get("/health", null).status());
            TestApp.Response unready = app.get("/health/ready", null);
            assertEquals(503, unready.status());
            assertEquals("down", unready.json().at("/checks/database/status").asText(), unready.body());
        } finally {
            app.databaseRelay().restore();
        }
        EventStream.await("the database back", java.time.Duration.ofSeconds(30),
                () -> org.asMember(body("action", "get_settings")).status() == 200);

        // too many failed machine authentications from one address: 429 RATE_LIMITED with Retry-After
        String attacker = "198.51.100.17";
        String badKey = AgentHttp.report("00".repeat(32), "[0, \"o\", \"x\"]", null);
        assertEquals(401, AgentHttp.post(app, badKey, attacker).status());
        assertEquals(401, AgentHttp.post(app, badKey, attacker).status());
        TestApp.Response limited = AgentHttp.post(app, badKey, attacker);
        assertEquals(429, limited.status(), limited.body());
        assertTrue(limited.raw().headers().firstValue("Retry-After").isPresent());

        // the other routes
        assertEquals(200, app.get("/api/me", org.memberToken()).status());
        assertEquals(401, app.get("/api/me", null).status());
        assertEquals(201, AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(), "[0, \"o\", \"x\"]", null), null).status());
        assertEquals(401, AgentHttp.post(app, AgentHttp.report("00ff", "[0, \"o\", \"x\"]", null), null).status());
        assertEquals(201, AgentHttp.upload(app, org.machine().nodeKey(), "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.1, \"o\", \"x\"]\n".getBytes(), true).status());
        assertEquals(201, AgentHttp.upload(app, org.machine().nodeKey(), "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.1, \"o\", \"x\"]\n".getBytes(), false).status());
        assertEquals(200, app.get("/health", null).status());
        assertEquals(200, app.get("/health/live", null).status());
        assertEquals(200, app.get("/health/ready", null).status());
        assertEquals(404, app.get("/api/nothing-here", null).status());
        TestApp.Response doc = app.get("/openapi.yaml", null);
        assertEquals(200, doc.status());
        assertTrue(doc.body().contains("openapi: 3.1.0"));

        // coverage: every action succeeded (its request and answer held to its own schemas), and every error
        // code of the action route was seen; the rate limit is the machines' routes' own
        Set<String> succeeded = app.checked().stream().filter(c -> c.action() != null && c.status() < 300)
                .map(OpenApiConformance.Checked::action).collect(Collectors.toSet());
        assertEquals(ACTIONS, succeeded);
        Set<String> errorCodes = app.checked().stream().filter(c -> "/api/session-recording".equals(c.pathTemplate()) && c.errorCode() != null)
                .map(OpenApiConformance.Checked::errorCode).collect(Collectors.toSet());
        assertEquals(Set.of("MISSING_FIELDS", "INVALID_INPUT", "UNAUTHORIZED", "FORBIDDEN", "FEATURE_DISABLED",
                "RECORDING_DISABLED", "NOT_FOUND", "CONFLICT", "LEGAL_HOLD", "PAYLOAD_TOO_LARGE", "STORAGE_UNAVAILABLE",
                "DATABASE_UNAVAILABLE"), errorCodes);
        assertTrue(app.checked().stream().anyMatch(c -> "/api/session-recording-agent".equals(c.pathTemplate())
                && "RATE_LIMITED".equals(c.errorCode()) && c.status() == 429), "RATE_LIMITED was answered");
        // what is left of ErrorCode takes a fault this service cannot be put in from here: an unwritable spool
        // directory (SPOOL_UNAVAILABLE, answered in HardeningTest) and a defect (INTERNAL_ERROR); that each has the
        // error schema of its status is checked by documentNamesEveryActionOfTheContract
        Set<String> seen = app.checked().stream().map(OpenApiConformance.Checked::errorCode)
                .filter(java.util.Objects::nonNull).collect(Collectors.toSet());
        Set<String> unseen = new HashSet<>();
        for (io.castvault.core.ErrorCode c : io.castvault.core.ErrorCode.values()) {
            unseen.add(c.name());
        }
        unseen.removeAll(seen);
        assertEquals(Set.of("SPOOL_UNAVAILABLE", "INTERNAL_ERROR"), unseen);
    }

    /** The checker itself: answers that drift from the document are caught. */
    @Test
    void driftingAnswersAreViolations() {
        OpenApiConformance c = OpenApiConformance.instance();
        java.util.List<OpenApiConformance.Checked> seen = new java.util.ArrayList<>();
        String org = UUID.randomUUID().toString();
        String sid = UUID.randomUUID().toString();
        String start = "{\"action\":\"start\",\"org_id\":\"" + org + "\",\"machine_id\":\"" + sid + "\",\"session_type\":\"ssh\"}";
        String ok = "{\"success\":true,\"data\":{\"session_id\":\"" + sid + "\",\"status\":\"active\"},\"error\":null}";
        assertEquals(java.util.List.of(), c.check("POST", "/api/session-recording", start, 201, "application/json", "id", ok, seen));
        // a field gone, a wrong success status, an undocumented status, a code under the wrong status, no request id
        assertTrue(!c.check("POST", "/api/session-recording", start, 201, "application/json", "id",
                ok.replace(",\"status\":\"active\"", ""), seen).isEmpty());
        assertTrue(!c.check("POST", "/api/session-recording", start, 200, "application/json", "id", ok, seen).isEmpty());
        assertTrue(!c.check("GET", "/health/live", null, 418, "application/json", "id", "{}", seen).isEmpty());
        assertTrue(!c.check("POST", "/api/session-recording", start, 403, "application/json", "id",
                "{\"success\":false,\"data\":null,\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"m\"}}", seen).isEmpty());
        assertTrue(!c.check("GET", "/health/live", null, 200, "application/json", null, "{\"status\":\"up\"}", seen).isEmpty());
        // nested: a recording of get without its metadata
        String get = "{\"action\":\"get\",\"org_id\":\"" + org + "\",\"session_id\":\"" + sid + "\"}";
        String rec = "{\"id\":\"" + sid + "\",\"org_id\":\"" + org + "\",\"machine_id\":null,\"machine_name\":null,"
                + "\"user_id\":\"" + sid + "\",\"session_type\":\"ssh\",\"status\":\"active\",\"started_at\":\"2026-01-01T00:00:00Z\","
                + "\"ended_at\":null,\"duration_seconds\":null,\"r2_key\":null,\"storage\":\"platform\"";
        String withMeta = rec + ",\"metadata\":{\"chunks_received\":0,\"bytes_received\":0}}";
        assertEquals(java.util.List.of(), c.check("POST", "/api/session-recording", get, 200, "application/json", "id",
                "{\"success\":true,\"data\":{\"recording\":" + withMeta + ",\"r2_data\":null},\"error\":null}", seen));
        assertTrue(!c.check("POST", "/api/session-recording", get, 200, "application/json", "id",
                "{\"success\":true,\"data\":{\"recording\":" + rec + "},\"r2_data\":null},\"error\":null}", seen).isEmpty());
    }

    /** The document itself is valid OpenAPI 3.1, every reference inside it resolving (swagger-parser). */
    @Test
    void documentIsValidOpenApi31() throws Exception {
        String yaml;
        try (var in = OpenApiTest.class.getResourceAsStream("/openapi.yaml")) {
            yaml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        io.swagger.v3.parser.core.models.ParseOptions options = new io.swagger.v3.parser.core.models.ParseOptions();
        options.setResolve(true);
        io.swagger.v3.parser.core.models.SwaggerParseResult result = new io.swagger.v3.parser.OpenAPIV3Parser()
                .readContents(yaml, null, options);
        assertEquals(java.util.List.of(), result.getMessages());
        assertEquals("3.1.0", result.getOpenAPI().getOpenapi());
        // a broken reference is reported, so the check above can fail
        io.swagger.v3.parser.core.models.SwaggerParseResult broken = new io.swagger.v3.parser.OpenAPIV3Parser()
                .readContents(yaml.replace("#/components/schemas/Recording'", "#/components/schemas/NoSuchSchema'")
                        .replace("openapi: 3.1.0", "openapi: 3.1.0\nbogus_field: 1"), null, options);
        assertTrue(!broken.getMessages().isEmpty());
    }

    @Test
    void documentNamesEveryActionOfTheContract() {
        JsonNode mapping = OpenApiConformance.instance().document()
                .at("/paths/~1api~1session-recording/post/requestBody/content/application~1json/schema/discriminator/mapping");
        Set<String> documented = new HashSet<>();
        for (Iterator<String> it = mapping.fieldNames(); it.hasNext(); ) {
            documented.add(it.next());
        }
        assertEquals(ACTIONS, documented);
        // every error code of the service, with the status it is sent with
        JsonNode codes = OpenApiConformance.instance().document().at("/components/schemas/ErrorCode/enum");
        Set<String> named = new HashSet<>();
        codes.forEach(c -> named.add(c.asText()));
        Set<String> all = new HashSet<>();
        for (io.castvault.core.ErrorCode c : io.castvault.core.ErrorCode.values()) {
            all.add(c.name());
            assertTrue(OpenApiConformance.instance().document().at("/components/schemas/Error" + c.httpStatus()).isObject(),
                    c + " has no error schema for " + c.httpStatus());
        }
        assertTrue(named.containsAll(all), "undocumented codes: " + all);
    }
}
