package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.db.TestSql;
import io.castvault.recording.RetentionService;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static io.castvault.api.RetentionTest.gone;
import static io.castvault.api.RetentionTest.recording;
import static io.castvault.api.SettingsAndAuthTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 15: a held recording outlives its retention and refuses delete until the hold is released. */
class LegalHoldTest extends ServiceTest {
    private static final double EXPIRED_HOURS = 90 * 24 + 1; // default retention is 90 days

    private static TestApp.Response hold(TestOrg org, UUID session, boolean hold, String reason) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("action", "set_legal_hold", "session_id", session.toString(),
                "hold", hold));
        if (reason != null) {
            body.put("reason", reason);
        }
        return org.asAdmin(body);
    }

    @Test
    void aHeldRecordingOutlivesRetentionUntilReleased() {
        TestOrg org = app.newOrg(true);
        UUID held = recording(app, org, EXPIRED_HOURS);
        TestApp.Response set = hold(org, held, true, "litigation 2026-17");
        assertEquals(200, set.status(), set.body());
        assertEquals(held.toString(), set.data().get("session_id").asText());
        assertTrue(set.data().get("hold").asBoolean());

        app.bean(RetentionService.class).sweep();
        assertFalse(gone(app, org, held), "the sweep skips a held recording");
        TestApp.Response cleanup = org.asAdmin(Map.of("action", "cleanup"));
        assertEquals(200, cleanup.status(), cleanup.body());
        assertEquals(0, cleanup.data().get("deleted").asInt());
        assertEquals(1, cleanup.data().get("held").asInt(), "reported as held, not as a failure: " + cleanup.body());
        assertFalse(cleanup.data().has("pending"));
        assertFalse(gone(app, org, held));
        assertError(org.asAdmin(Map.of("action", "delete", "session_id", held.toString())), 409, "LEGAL_HOLD");

        JsonNode rec = org.asAuditor(Map.of("action", "get", "session_id", held.toString())).data().get("recording");
        assertTrue(rec.get("legal_hold").asBoolean());
        assertEquals("litigation 2026-17", rec.get("legal_hold_reason").asText());
        JsonNode listed = org.asAdmin(Map.of("action", "list")).data().get("recordings").get(0);
        assertTrue(listed.get("legal_hold").asBoolean());

        assertEquals(200, hold(org, held, false, null).status());
        assertFalse(org.asAuditor(Map.of("action", "get", "session_id", held.toString())).data()
                .get("recording").get("legal_hold").asBoolean());
        app.bean(RetentionService.class).sweep();
        assertTrue(gone(app, org, held), "the next sweep after the release removes it");

        // the hold's history: set, released, and the system's deletion
        long entries = app.db().inOrg(org.orgId(), tx -> TestSql.count(tx,
                "SELECT count(*) FROM audit_log WHERE target_id = ? AND action IN ('set_legal_hold', 'retention_delete')", held));
        assertEquals(3, entries);
        assertEquals("system", app.db().inOrg(org.orgId(), tx -> TestSql.text(tx,
                "SELECT actor_type FROM audit_log WHERE target_id = ? AND action = 'retention_delete'", held)));
    }

    @Test
    void anOrgWideHoldSuspendsEveryDeletion() {
        TestOrg org = app.newOrg(true);
        UUID old = recording(app, org, EXPIRED_HOURS);
        UUID fresh = recording(app, org, 1);
        assertEquals(200, org.asAdmin(Map.of("action", "update_settings", "legal_hold", true)).status());
        assertTrue(org.asAuditor(Map.of("action", "get_settings")).data().get("legal_hold").asBoolean());

        assertError(org.asAdmin(Map.of("action", "delete", "session_id", fresh.toString())), 409, "LEGAL_HOLD");
        app.bean(RetentionService.class).sweep();
        assertEquals(1, org.asAdmin(Map.of("action", "cleanup")).data().get("held").asInt());
        assertFalse(gone(app, org, old));

        assertEquals(200, org.asAdmin(Map.of("action", "update_settings", "legal_hold", false)).status());
        assertEquals(1, org.asAdmin(Map.of("action", "cleanup")).data().get("deleted").asInt());
        assertTrue(gone(app, org, old));
        assertEquals(200, org.asAdmin(Map.of("action", "delete", "session_id", fresh.toString())).status());
    }

    @Test
    void setLegalHoldIsForAdminsWithAReason() {
        TestOrg org = app.newOrg(true);
        UUID session = org.start(org.memberId());
        assertError(hold(org, session, true, null), 400, "MISSING_FIELDS");
        assertError(hold(org, session, true, "x".repeat(1001)), 400, "INVALID_INPUT");
        assertError(org.asAuditor(Map.of("action", "set_legal_hold", "session_id", session.toString(), "hold", true,
                "reason", "r")), 403, "FORBIDDEN");
        assertError(hold(org, UUID.randomUUID(), true, "r"), 404, "NOT_FOUND");
        // another org's recording is not found either
        TestOrg other = app.newOrg(true);
        assertError(hold(other, session, true, "r"), 404, "NOT_FOUND");
        assertError(org.asAdmin(Map.of("action", "set_legal_hold", "session_id", session.toString())), 400, "MISSING_FIELDS");
    }
}
