package io.castvault.api;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.castvault.db.Role;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seed ST1 (settings) and the authentication / authorization rules of CONTRACT.md §2, over real HTTP. */
class SettingsAndAuthTest extends ServiceTest {

    @Test
    void settingsHaveTheReferenceDefaults() {
        TestOrg org = app.newOrg(false);
        TestApp.Response r = org.asMember(Map.of("action", "get_settings"));
        assertEquals(200, r.status());
        assertEquals(true, r.json().get("success").asBoolean());
        assertTrue(r.json().get("error").isNull());
        assertEquals(false, r.data().get("recording_enabled").asBoolean());
        assertEquals(90, r.data().get("retention_days").asInt());
        assertEquals("platform", r.data().get("storage_mode").asText());
    }

    @Test
    void updateSettingsPersistsAndClampsRetention() {
        TestOrg org = app.newOrg(false);
        TestApp.Response r = org.asAdmin(Map.of("action", "update_settings", "recording_enabled", true,
                "retention_days", 30, "storage_mode", "platform"));
        assertEquals(200, r.status());
        assertEquals(true, r.data().get("updated").asBoolean());
        TestApp.Response after = org.asAuditor(Map.of("action", "get_settings"));
        assertEquals(true, after.data().get("recording_enabled").asBoolean());
        assertEquals(30, after.data().get("retention_days").asInt());

        for (int[] pair : new int[][] {{0, 1}, {400, 365}, {-5, 1}, {365, 365}, {1, 1}}) {
            assertEquals(200, org.asAdmin(Map.of("action", "update_settings", "retention_days", pair[0])).status());
            assertEquals(pair[1], org.asAdmin(Map.of("action", "get_settings")).data().get("retention_days").asInt(),
                    "retention_days " + pair[0]);
        }
        // a partial update leaves the other settings alone
        // custom without a store to write to is refused (issue 18), and the refusal changes nothing
        assertEquals(400, org.asAdmin(Map.of("action", "update_settings", "storage_mode", "custom")).status());
        org.asAdmin(Map.of("action", "update_settings", "storage_mode", "platform"));
        TestApp.Response partial = org.asAdmin(Map.of("action", "get_settings"));
        assertEquals("platform", partial.data().get("storage_mode").asText());
        assertEquals(true, partial.data().get("recording_enabled").asBoolean());
        assertEquals(1, partial.data().get("retention_days").asInt());
    }

    @Test
    void settingsSurviveARestartOfTheReadPath() {
        TestOrg org = app.newOrg(false);
        org.asAdmin(Map.of("action", "update_settings", "retention_days", 42));
        // read straight from the database, not from anything the service might cache
        int stored = app.db().inOrg(org.orgId(), tx -> io.castvault.db.SettingsQueries.get(tx).retentionDays());
        assertEquals(42, stored);
    }

    @Test
    void onlyAdminsUpdateSettings() {
        TestOrg org = app.newOrg(false);
        for (UUID user : new UUID[] {org.memberId(), org.auditorId()}) {
            TestApp.Response r = org.as(user, Map.of("action", "update_settings", "retention_days", 10));
            assertEquals(403, r.status());
            assertEquals("FORBIDDEN", r.errorCode());
        }
        assertEquals(90, org.asAdmin(Map.of("action", "get_settings")).data().get("retention_days").asInt());
    }

    @Test
    void invalidSettingsAreRejected() {
        TestOrg org = app.newOrg(false);
        assertError(org.asAdmin(Map.of("action", "update_settings", "storage_mode", "s3")), 400, "INVALID_INPUT");
        assertError(org.asAdmin(Map.of("action", "update_settings", "retention_days", "30")), 400, "INVALID_INPUT");
        assertError(org.asAdmin(Map.of("action", "update_settings", "recording_enabled", "yes")), 400, "INVALID_INPUT");
        assertError(org.asAdmin(Map.of("action", "update_settings", "retention_days", 1.5)), 400, "INVALID_INPUT");
    }

    @Test
    void missingExpiredAndForgedTokensAre401() {
        TestOrg org = app.newOrg(false);
        Map<String, String> body = Map.of("action", "get_settings", "org_id", org.orgId().toString());
        assertError(app.action(null, body), 401, "UNAUTHORIZED");
        assertError(app.action("not-a-jwt", body), 401, "UNAUTHORIZED");
        assertError(app.action(sign(TestApp.JWT_SECRET, org.adminId().toString(), Instant.now().minusSeconds(3600)), body),
                401, "UNAUTHORIZED");
        assertError(app.action(sign("another-secret-another-secret-another-1", org.adminId().toString(),
                Instant.now().plusSeconds(3600)), body), 401, "UNAUTHORIZED");
        assertError(app.action(sign(TestApp.JWT_SECRET, org.adminId().toString(), null), body), 401, "UNAUTHORIZED");
        assertError(app.action(sign(TestApp.JWT_SECRET, "not-a-uuid", Instant.now().plusSeconds(3600)), body), 401, "UNAUTHORIZED");
        // alg=none must not pass as HS256
        String none = new com.nimbusds.jwt.PlainJWT(new JWTClaimsSet.Builder().subject(org.adminId().toString())
                .expirationTime(Date.from(Instant.now().plusSeconds(3600))).build()).serialize();
        assertError(app.action(none, body), 401, "UNAUTHORIZED");
        // and a well-signed token works
        assertEquals(200, app.action(sign(TestApp.JWT_SECRET, org.adminId().toString(), Instant.now().plusSeconds(60)), body).status());
    }

    @Test
    void nonMembersAre403AndMembershipChangesApplyAtOnce() {
        TestOrg org = app.newOrg(false);
        TestOrg other = app.newOrg(false);
        TestApp.Response r = app.action(app.token(other.adminId()),
                Map.of("action", "get_settings", "org_id", org.orgId().toString()));
        assertError(r, 403, "FORBIDDEN");
        // an unknown org looks the same as one you do not belong to
        assertError(app.action(app.token(org.adminId()),
                Map.of("action", "get_settings", "org_id", UUID.randomUUID().toString())), 403, "FORBIDDEN");

        // promote the member to admin in the database (as the CLI would, from another process)
        app.organizations().addUser(org.orgId(), Role.ADMIN, org.memberId(), null);
        TestApp.Response promoted = waitForStatus(() -> org.asMember(Map.of("action", "update_settings", "retention_days", 7)), 200);
        assertEquals(200, promoted.status());
    }

    @Test
    void orgWithoutTheFeatureIs403FeatureDisabled() {
        UUID orgId = app.organizations().create("no-feature", false);
        UUID admin = app.organizations().addUser(orgId, Role.ADMIN, null, "a");
        TestApp.Response r = app.action(app.token(admin), Map.of("action", "get_settings", "org_id", orgId.toString()));
        assertError(r, 403, "FEATURE_DISABLED");
    }

    @Test
    void malformedRequestsAre400InTheEnvelope() {
        TestOrg org = app.newOrg(false);
        String token = app.token(org.adminId());
        assertError(app.post("/api/session-recording", token, "{not json"), 400, "INVALID_INPUT");
        assertError(app.post("/api/session-recording", token, "[1,2]"), 400, "INVALID_INPUT");
        assertError(app.post("/api/session-recording", token, ""), 400, "INVALID_INPUT");
        assertError(app.action(token, Map.of("org_id", org.orgId().toString())), 400, "MISSING_FIELDS");
        assertError(app.action(token, Map.of("action", "explode", "org_id", org.orgId().toString())), 400, "INVALID_INPUT");
        assertError(app.action(token, Map.of("action", "get_settings")), 400, "MISSING_FIELDS");
        assertError(app.action(token, Map.of("action", "get_settings", "org_id", "12345")), 400, "INVALID_INPUT");
        assertError(app.action(token, Map.of("action", "get_settings", "org_id", 12345)), 400, "INVALID_INPUT");
        assertError(app.action(token, Map.of("action", 7, "org_id", org.orgId().toString())), 400, "INVALID_INPUT");
        TestApp.Response noRoute = app.get("/api/nothing-here", token);
        assertError(noRoute, 404, "NOT_FOUND");
        // HEAD gets the answer GET would have had, without its body
        TestApp.Response headNoRoute = app.send(java.net.http.HttpRequest.newBuilder(app.url("/api/nothing-here"))
                .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(404, headNoRoute.status());
        assertEquals(0, headNoRoute.raw().body().length);
        TestApp.Response wrongMethod = app.get("/api/session-recording", token);
        assertFalse(wrongMethod.status() >= 500, wrongMethod.body());
        assertEquals(false, wrongMethod.json().get("success").asBoolean());
    }

    @Test
    void theBodyIsJsonWhateverContentTypeTheClientClaims() {
        TestOrg org = app.newOrg(false);
        String body = "{\"action\":\"get_settings\",\"org_id\":\"" + org.orgId() + "\"}";
        for (String type : new String[] {"application/x-www-form-urlencoded", "text/plain", "application/octet-stream"}) {
            TestApp.Response r = app.send(java.net.http.HttpRequest.newBuilder(app.url("/api/session-recording"))
                    .header("Authorization", "Bearer " + app.token(org.adminId()))
                    .header("Content-Type", type)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
            assertEquals(200, r.status(), type + ": " + r.body());
        }
    }

    @Test
    void healthIsUpWithBothTiers() {
        TestApp.Response r = app.get("/health", null);
        assertEquals(200, r.status());
        assertEquals("up", r.json().get("database").asText());
        assertEquals("up", r.json().get("object_store").asText());
    }

    static void assertError(TestApp.Response r, int status, String code) {
        assertEquals(status, r.status(), r.body());
        assertEquals(false, r.json().get("success").asBoolean(), r.body());
        assertTrue(r.json().get("data").isNull(), r.body());
        assertEquals(code, r.errorCode(), r.body());
        assertFalse(r.body().contains("\tat "), "no stack trace: " + r.body());
    }

    static TestApp.Response waitForStatus(java.util.function.Supplier<TestApp.Response> call, int status) {
        TestApp.Response r = call.get();
        long deadline = System.currentTimeMillis() + 5_000;
        while (r.status() != status && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            r = call.get();
        }
        return r;
    }

    static String sign(String secret, String subject, Instant expiry) {
        try {
            JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(subject);
            if (expiry != null) {
                claims.expirationTime(Date.from(expiry));
            }
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
            jwt.sign(new MACSigner(secret.getBytes()));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
