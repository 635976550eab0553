package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.agentingest.Machines;
import io.castvault.core.Hashing;
import io.castvault.db.Database;
import io.castvault.db.DatabaseSettings;
import io.castvault.db.Role;
import io.castvault.db.TestSql;
import io.castvault.recording.Organizations;
import io.castvault.storage.ObjectKey;
import io.castvault.testing.TestPostgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: a recording stored by a version before the hardening (gaps as a flat list of a million indexes in the
 * row and in the summary, the summary's duration {@code "Infinity"}) reads through {@code get} and {@code list}
 * in today's shape once the service has started on that database (migration V12 for the row, the summary
 * translated as it is read).
 */
class OldDataTest {

    @Test
    void oldRowsAndSummariesReadAsRangesWithoutInfinity() throws Exception {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        Flyway.configure().dataSource(c.url(), c.user(), c.password()).locations("classpath:db/migration")
                .target("11").load().migrate();
        UUID org;
        UUID admin;
        Machines.NewMachine machine;
        UUID session = UUID.randomUUID();
        // the org made the admin CLI's way, the recording as the old code left it
        try (Database db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 2))) {
            Organizations orgs = new Organizations(db);
            org = orgs.create("org-" + UUID.randomUUID(), true);
            admin = orgs.addUser(org, Role.ADMIN, null, "admin");
            machine = new Machines(db).add(org, "old-machine", admin);
            UUID orgId = org;
            UUID adminId = admin;
            UUID machineId = machine.machineId();
            db.acrossOrgs(tx -> TestSql.execute(tx, "INSERT INTO session_recordings (id, org_id, machine_id, user_id,"
                    + " session_type, status, ended_at, duration_seconds, metadata, r2_key) VALUES (?, ?, ?, ?, 'ssh',"
                    + " 'completed', now(), NULL, jsonb_build_object('recording_sha256', repeat('ab', 32),"
                    + " 'missing_chunks', (SELECT jsonb_agg(i) FROM generate_series(1, 999999) i)), ?)",
                    session, orgId, machineId, adminId, ObjectKey.summary(orgId, session).value()));
        }
        try (TestApp app = TestApp.start(Map.of("castvault.database.url", c.url(), "castvault.database.user", c.user(),
                "castvault.database.password", c.password()), false)) {
            byte[] summary = oldSummary(org, session).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            app.blobs().put(ObjectKey.summary(org, session), summary, Hashing.sha256(summary), "application/json");
            TestOrg tenant = new TestOrg(app, org, admin, admin, admin, machine);

            TestApp.Response got = tenant.asAdmin(Map.of("action", "get", "session_id", session.toString()));
            assertEquals(200, got.status(), got.body().substring(0, Math.min(500, got.body().length())));
            JsonNode r2 = got.data().get("r2_data");
            assertEquals("[[1,999999]]", r2.get("missing_chunks").toString());
            assertTrue(r2.get("duration_seconds").isNull(), r2.get("duration_seconds").toString());
            assertEquals("[[1,999999]]", got.data().get("recording").get("metadata").get("missing_chunks").toString());
            assertFalse(got.body().contains("Infinity") || got.body().contains("NaN"), got.body());
            assertTrue(got.body().length() < 10_000, "a small answer, not megabytes: " + got.body().length());

            TestApp.Response list = tenant.asAdmin(Map.of("action", "list"));
            assertEquals(200, list.status(), list.body().substring(0, Math.min(500, list.body().length())));
            JsonNode row = list.data().get("recordings").get(0);
            assertEquals(session.toString(), row.get("id").asText());
            assertEquals("[[1,999999]]", row.get("metadata").get("missing_chunks").toString());
            assertFalse(list.body().contains("Infinity") || list.body().contains("NaN"), list.body());
        }
    }

    /** A summary as the old code wrote it: every missing index listed, the duration a non-finite string. */
    private static ObjectNode oldSummary(UUID org, UUID session) {
        ObjectNode s = TestApp.object();
        s.put("session_id", session.toString());
        s.put("org_id", org.toString());
        s.put("duration_seconds", "Infinity");
        s.put("recording_url", "/api/session-recording/" + org + "/" + session + "/cast");
        s.put("transcript_lines", 2);
        s.put("started_at", Instant.now().toString());
        s.put("completed_at", Instant.now().toString());
        s.put("format", "asciicast-v2");
        s.putArray("chunks");
        var missing = s.putArray("missing_chunks");
        for (int i = 1; i <= 999_999; i++) {
            missing.add(i);
        }
        s.put("recording_sha256", "ab".repeat(32));
        s.put("recording_bytes", 10);
        return s;
    }
}
