package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.db.Role;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the dashboard relies on: {@code GET /api/me}, the page at {@code /}, and API routes not shadowed by it. */
class DashboardRoutesTest extends ServiceTest {

    @Test
    void meListsTheCallersOrgsWithTheirRole() {
        TestOrg first = app.newOrg(false);
        TestOrg second = app.newOrg(false);
        app.organizations().addUser(second.orgId(), Role.AUDITOR, first.adminId(), null);

        TestApp.Response r = app.get("/api/me", app.token(first.adminId()));
        assertEquals(200, r.status());
        assertEquals(first.adminId().toString(), r.data().get("user_id").asText());
        Map<String, String> roles = new HashMap<>();
        Map<String, String> names = new HashMap<>();
        for (JsonNode org : r.data().get("orgs")) {
            roles.put(org.get("org_id").asText(), org.get("role").asText());
            names.put(org.get("org_id").asText(), org.get("name").asText());
        }
        assertEquals(Map.of(first.orgId().toString(), "admin", second.orgId().toString(), "auditor"), roles);
        assertTrue(names.get(first.orgId().toString()).startsWith("org-"));

        TestApp.Response member = app.get("/api/me", app.token(second.memberId()));
        assertEquals(1, member.data().get("orgs").size());
        assertEquals("member", member.data().get("orgs").get(0).get("role").asText());
    }

    @Test
    void meForAUserWithoutMembershipsIsAnEmptyList() {
        TestApp.Response r = app.get("/api/me", app.token(UUID.randomUUID()));
        assertEquals(200, r.status());
        assertEquals(0, r.data().get("orgs").size());
    }

    @Test
    void meNeedsAValidToken() {
        TestApp.Response none = app.get("/api/me", null);
        assertEquals(401, none.status());
        assertEquals("UNAUTHORIZED", none.errorCode());
        TestApp.Response forged = app.get("/api/me", "not.a.jwt");
        assertEquals(401, forged.status());
        assertEquals("UNAUTHORIZED", forged.errorCode());
    }

    @Test
    void theDashboardIsServedAtTheRoot() {
        TestApp.Response page = app.get("/", null);
        assertEquals(200, page.status());
        assertTrue(page.raw().headers().firstValue("content-type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("<title>Castvault"), page.body());
    }

    @Test
    void theDashboardsFilesAreServedButNotItsFolders() {
        assertEquals(200, app.get(scriptPath(), null).status());
        for (String folder : new String[] {"/assets", "/assets/"}) {
            TestApp.Response r = app.get(folder, null);
            assertEquals(404, r.status(), folder + ": " + r.body());
            assertEquals("NOT_FOUND", r.errorCode(), folder);
        }
    }

    @Test
    void theManagementPortServesTheMetricsAndNothingElse() {
        assertEquals(200, app.send(java.net.http.HttpRequest.newBuilder(app.managementUrl("/metrics")).GET().build()).status());
        for (String path : new String[] {"/", "/index.html", scriptPath(), "/health", "/api/me"}) {
            TestApp.Response r = app.send(java.net.http.HttpRequest.newBuilder(app.managementUrl(path)).GET().build());
            assertEquals(404, r.status(), path + ": " + r.body());
            assertEquals("NOT_FOUND", r.errorCode(), path);
        }
    }

    /** The dashboard's script, whose name carries its build's hash, as the page names it. */
    private static String scriptPath() {
        TestApp.Response page = app.get("/", null);
        java.util.regex.Matcher script = java.util.regex.Pattern.compile("/assets/[^\"]+\\.js").matcher(page.body());
        assertTrue(script.find(), page.body());
        return script.group();
    }

    @Test
    void unknownApiPathsStillGetJsonErrors() {
        TestApp.Response unknown = app.get("/api/no-such-route", null);
        assertEquals(404, unknown.status());
        assertEquals("NOT_FOUND", unknown.errorCode());
        assertFalse(unknown.json().get("success").asBoolean());

        TestApp.Response nested = app.get("/api/session-recording/x/y/z/cast", null);
        assertEquals(404, nested.status());
        assertEquals("NOT_FOUND", nested.errorCode());

        // the API's own routes win over the static mapping
        TestApp.Response health = app.get("/health", null);
        assertEquals(200, health.status());
        assertEquals("up", health.json().get("status").asText());
    }
}
