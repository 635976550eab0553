package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.db.TestSql;
import io.castvault.recording.AuditService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.castvault.api.SettingsAndAuthTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15: every action leaves exactly one entry with the right actor, outcome and source address (directly,
 * behind one trusted proxy and behind two), the chain catches edits and removals, pruning follows the org's
 * audit retention. The service trusts loopback (the test client) and 10.0.0.0/8 as proxies.
 */
class AuditTrailTest {
    static TestApp app;

    @BeforeAll
    static void startService() {
        app = TestApp.start(Map.of("castvault.network.trusted-proxies", "127.0.0.1/32,10.0.0.0/8"), false);
    }

    @AfterAll
    static void stopService() throws IOException {
        app.close();
    }

    /** One request as a client behind proxies would send it, tagged with its own request id. */
    record Sent(TestApp.Response response, String requestId) {
    }

    static Sent action(TestApp app, String token, Map<String, ?> body, String forwardedFor) {
        String requestId = "test-" + UUID.randomUUID();
        HttpRequest.Builder b = HttpRequest.newBuilder(app.url("/api/session-recording")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("X-Request-Id", requestId)
                .header("User-Agent", "audit-test/1.0");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (forwardedFor != null) {
            b.header("X-Forwarded-For", forwardedFor);
        }
        try {
            b.POST(HttpRequest.BodyPublishers.ofString(TestApp.JSON.writeValueAsString(body)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Sent(app.send(b.build()), requestId);
    }

    static Sent as(TestOrg org, UUID user, Map<String, ?> body) {
        return as(org, user, body, null);
    }

    static Sent as(TestOrg org, UUID user, Map<String, ?> body, String forwardedFor) {
        Map<String, Object> withOrg = new HashMap<>(body);
        withOrg.putIfAbsent("org_id", org.orgId().toString());
        return action(org.app(), org.app().token(user), withOrg, forwardedFor);
    }

    /** The entries a request left (read with SQL across orgs, so entries without an org are seen too). */
    static List<Map<String, String>> entries(TestApp app, String requestId) {
        return app.db().acrossOrgs(tx -> {
            long n = TestSql.count(tx, "SELECT count(*) FROM audit_log WHERE request_id = ?", requestId);
            List<Map<String, String>> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Map<String, String> e = new HashMap<>();
                for (String col : List.of("org_id", "actor_type", "actor_id", "actor_name", "action", "target_type",
                        "target_id", "outcome", "source_ip", "user_agent", "details")) {
                    e.put(col, TestSql.text(tx, "SELECT " + col + "::text FROM audit_log WHERE request_id = ? ORDER BY id OFFSET "
                            + i + " LIMIT 1", requestId));
                }
                out.add(e);
            }
            return out;
        });
    }

    static Map<String, String> onlyEntry(TestApp app, Sent sent) {
        List<Map<String, String>> e = entries(app, sent.requestId());
        assertEquals(1, e.size(), "exactly one entry for " + sent.requestId() + ": " + e + " (" + sent.response().body() + ")");
        return e.get(0);
    }

    static void assertEntry(Map<String, String> e, String action, String actorType, UUID actorId, String outcome,
                            String sourceIp) {
        assertEquals(action, e.get("action"), e.toString());
        assertEquals(actorType, e.get("actor_type"), e.toString());
        assertEquals(actorId == null ? null : actorId.toString(), e.get("actor_id"), e.toString());
        assertEquals(outcome, e.get("outcome"), e.toString());
        assertEquals(sourceIp, e.get("source_ip"), e.toString());
    }

    @Test
    void anEntryCarriesTheRequestIdTheResponseAndTheLogsCarry() {
        TestOrg org = app.newOrg(true);
        for (String sent : new String[] {"bad id\"with{labels}", "x".repeat(129)}) {
            TestApp.Response r = app.send(HttpRequest.newBuilder(app.url("/api/session-recording"))
                    .header("Content-Type", "application/json").header("X-Request-Id", sent)
                    .header("Authorization", "Bearer " + app.token(org.auditorId()))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"list\",\"org_id\":\"" + org.orgId() + "\"}"))
                    .build());
            assertEquals(200, r.status(), r.body());
            String id = r.raw().headers().firstValue("X-Request-Id").orElseThrow();
            assertNotEquals(sent, id, "an unusable id is replaced");
            assertEquals(1, entries(app, id).size(), "the entry is found under the id the client was given back");
        }
    }

    @Test
    void everyActionLeavesExactlyOneEntry() {
        TestOrg org = app.newOrg(true);
        UUID admin = org.adminId();
        String ip = "203.0.113.10";

        Map<String, String> e = onlyEntry(app, as(org, admin, Map.of("action", "get_settings"), ip));
        assertEntry(e, "get_settings", "user", admin, "ok", ip);
        assertEquals("admin", e.get("actor_name"));
        assertEquals("audit-test/1.0", e.get("user_agent"));

        e = onlyEntry(app, as(org, admin, Map.of("action", "update_settings", "retention_days", 30), ip));
        assertEntry(e, "update_settings", "user", admin, "ok", ip);
        assertTrue(e.get("details").contains("\"before\": {") && e.get("details").contains("\"retention_days\": 30"), e.get("details"));

        Sent start = as(org, org.memberId(), Map.of("action", "start", "machine_id", org.machine().machineId().toString(),
                "session_type", "ssh"), ip);
        assertEquals(201, start.response().status());
        UUID session = UUID.fromString(start.response().data().get("session_id").asText());
        e = onlyEntry(app, start);
        assertEntry(e, "start", "user", org.memberId(), "ok", ip);
        assertEquals(session.toString(), e.get("target_id"));

        Sent upload = as(org, org.memberId(), Map.of("action", "upload_chunk", "session_id", session.toString(),
                "chunk_index", 0, "chunk_data", RecordingLifecycleTest.CHUNK0), ip);
        assertEquals(200, upload.response().status());
        assertEquals(0, entries(app, upload.requestId()).size(), "single chunk uploads are not entries");
        org.upload(org.memberId(), session, 1, RecordingLifecycleTest.CHUNK1);

        e = onlyEntry(app, as(org, org.memberId(), Map.of("action", "complete", "session_id", session.toString()), ip));
        assertEntry(e, "complete", "user", org.memberId(), "ok", ip);
        assertTrue(e.get("details").contains("\"chunk_count\": 2") && e.get("details").contains("\"last_chunk_index\": 1"),
                e.get("details"));

        e = onlyEntry(app, as(org, org.auditorId(), Map.of("action", "get", "session_id", session.toString()), ip));
        assertEntry(e, "get", "user", org.auditorId(), "ok", ip);
        e = onlyEntry(app, as(org, org.auditorId(), Map.of("action", "list"), ip));
        assertEntry(e, "list", "user", org.auditorId(), "ok", ip);

        Sent cast = castDownload(org, org.auditorId(), session, ip);
        assertEquals(200, cast.response().status());
        assertEntry(onlyEntry(app, cast), "cast_download", "user", org.auditorId(), "ok", ip);

        // refused: recorded with the refusal's code, and the change did not happen
        Sent refused = as(org, org.auditorId(), Map.of("action", "delete", "session_id", session.toString()), ip);
        assertError(refused.response(), 403, "FORBIDDEN");
        e = onlyEntry(app, refused);
        assertEntry(e, "delete", "user", org.auditorId(), "FORBIDDEN", ip);
        assertEquals(session.toString(), e.get("target_id"));
        Sent outsider = as(org, app.newOrg(false).adminId(), Map.of("action", "list"), ip);
        assertError(outsider.response(), 403, "FORBIDDEN");
        assertEquals(org.orgId().toString(), onlyEntry(app, outsider).get("org_id"));

        e = onlyEntry(app, as(org, admin, Map.of("action", "set_legal_hold", "session_id", session.toString(),
                "hold", true, "reason", "case 42"), ip));
        assertEntry(e, "set_legal_hold", "user", admin, "ok", ip);
        Sent heldDelete = as(org, admin, Map.of("action", "delete", "session_id", session.toString()), ip);
        assertError(heldDelete.response(), 409, "LEGAL_HOLD");
        assertEntry(onlyEntry(app, heldDelete), "delete", "user", admin, "LEGAL_HOLD", ip);
        onlyEntry(app, as(org, admin, Map.of("action", "set_legal_hold", "session_id", session.toString(), "hold", false), ip));
        Sent delete = as(org, admin, Map.of("action", "delete", "session_id", session.toString()), ip);
        assertEquals(200, delete.response().status(), delete.response().body());
        assertEntry(onlyEntry(app, delete), "delete", "user", admin, "ok", ip);

        assertEntry(onlyEntry(app, as(org, admin, Map.of("action", "cleanup"), ip)), "cleanup", "user", admin, "ok", ip);
        assertEntry(onlyEntry(app, as(org, org.auditorId(), Map.of("action", "audit"), ip)), "audit", "user",
                org.auditorId(), "ok", ip);
        assertEntry(onlyEntry(app, as(org, org.auditorId(), Map.of("action", "verify_audit"), ip)), "verify_audit",
                "user", org.auditorId(), "ok", ip);

        // a bad token names no org we can believe: the entry has none
        Sent badToken = action(app, "not-a-token", Map.of("action", "list", "org_id", org.orgId().toString()), ip);
        assertError(badToken.response(), 401, "UNAUTHORIZED");
        e = onlyEntry(app, badToken);
        assertEntry(e, "auth_failed", "anonymous", null, "UNAUTHORIZED", ip);
        assertNull(e.get("org_id"));
    }

    @Test
    void machineUploadsAndBadNodeKeysAreRecorded() {
        TestOrg org = app.newOrg(true);
        TestApp.Response r = AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(), AgentIngestTest.ST5_TRANSCRIPT, null),
                "198.51.100.20");
        assertEquals(201, r.status(), r.body());
        String session = r.data().get("session_id").asText();
        Map<String, String> e = app.db().inOrg(org.orgId(), tx -> Map.of(
                "n", Long.toString(TestSql.count(tx, "SELECT count(*) FROM audit_log WHERE target_id = ?::uuid", session)),
                "action", TestSql.text(tx, "SELECT action FROM audit_log WHERE target_id = ?::uuid", session),
                "actor", TestSql.text(tx, "SELECT actor_type || ':' || actor_id || ':' || actor_name FROM audit_log WHERE target_id = ?::uuid", session),
                "ip", TestSql.text(tx, "SELECT source_ip FROM audit_log WHERE target_id = ?::uuid", session)));
        assertEquals("1", e.get("n"));
        assertEquals("agent_upload", e.get("action"));
        assertEquals("machine:" + org.machine().machineId() + ":Linux-C", e.get("actor"));
        assertEquals("198.51.100.20", e.get("ip"));

        String badIp = "198.51.100.21";
        assertEquals(401, AgentHttp.post(app, AgentHttp.report("ab".repeat(32), AgentIngestTest.ST5_TRANSCRIPT, null), badIp).status());
        long failures = app.db().acrossOrgs(tx -> TestSql.count(tx,
                "SELECT count(*) FROM audit_log WHERE action = 'auth_failed' AND outcome = 'UNAUTHORIZED' AND source_ip = ? AND org_id IS NULL",
                badIp));
        assertEquals(1, failures);
    }

    @Test
    void theOperatorsMachineChangesAreRecorded() {
        TestOrg org = app.newOrg(true);
        UUID machine = app.machines().add(org.orgId(), "build-01", org.memberId()).machineId();
        app.machines().delete(machine);
        String sql = "SELECT string_agg(action || ':' || actor_type || ':' || actor_name, ',' ORDER BY seq) FROM audit_log"
                + " WHERE org_id = ? AND target_id = ?";
        assertEquals("add_machine:system:operator-cli,delete_machine:system:operator-cli",
                app.db().inOrg(org.orgId(), tx -> TestSql.text(tx, sql, org.orgId(), machine)));
    }

    @Test
    void sourceAddressIsResolvedThroughTrustedProxiesOnly() {
        TestOrg org = app.newOrg(true);
        Map<String, Object> list = Map.of("action", "list");
        // direct: the TCP peer
        assertEquals("127.0.0.1", onlyEntry(app, as(org, org.adminId(), list, null)).get("source_ip"));
        // one trusted proxy (the loopback peer) in front of the client
        assertEquals("203.0.113.7", onlyEntry(app, as(org, org.adminId(), list, "203.0.113.7")).get("source_ip"));
        // two: the client, then a trusted proxy at 10.1.2.3, then the loopback one
        assertEquals("203.0.113.7", onlyEntry(app, as(org, org.adminId(), list, "203.0.113.7, 10.1.2.3")).get("source_ip"));
        // a client that writes its own X-Forwarded-For is not believed past the first untrusted hop
        assertEquals("198.51.100.9", onlyEntry(app, as(org, org.adminId(), list, "1.2.3.4, 198.51.100.9")).get("source_ip"));
    }

    @Test
    void spoofedForwardedForFromAnUntrustedPeerIsIgnored() throws IOException {
        try (TestApp untrusting = TestApp.start(Map.of("castvault.network.trusted-proxies", "10.0.0.0/8"), false)) {
            TestOrg org = untrusting.newOrg(true);
            Sent sent = as(org, org.adminId(), Map.of("action", "list"), "203.0.113.7");
            assertEquals(200, sent.response().status());
            assertEquals("127.0.0.1", onlyEntry(untrusting, sent).get("source_ip"));
        }
    }

    @Test
    void concurrentWritersOfOneOrgKeepOneUnbrokenChain() throws Exception {
        TestOrg org = app.newOrg(true);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
                UUID user = i % 2 == 0 ? org.auditorId() : org.adminId();
                calls.add(pool.submit(() -> org.as(user, Map.of("action", "list")).status()));
            }
            for (Future<Integer> f : calls) {
                assertEquals(200, f.get());
            }
        } finally {
            pool.shutdown();
        }
        long entries = count(org, "SELECT count(*) FROM audit_log WHERE org_id = ?");
        assertEquals(entries, count(org, "SELECT max(seq) FROM audit_log WHERE org_id = ?"), "no gap, no duplicate");
        JsonNode v = verify(org);
        assertTrue(v.get("ok").asBoolean(), v.toString());
        assertEquals(entries, v.get("checked").asLong());
    }

    @Test
    void anOrgSeesOnlyItsOwnEntries() {
        TestOrg org = app.newOrg(true);
        TestOrg other = app.newOrg(true);
        org.asAuditor(Map.of("action", "list"));
        long seen = app.db().inOrg(other.orgId(),
                tx -> TestSql.count(tx, "SELECT count(*) FROM audit_log WHERE org_id = ?", org.orgId()));
        assertEquals(0, seen, "row-level security");
        TestApp.Response page = other.asAdmin(Map.of("action", "audit", "limit", 500));
        page.data().get("entries").forEach(e -> assertFalse(e.toString().contains(org.auditorId().toString()), e.toString()));
    }

    @Test
    void theTrailIsAppendOnly() {
        TestOrg org = app.newOrg(true);
        RuntimeException e = assertThrows(RuntimeException.class, () -> app.db().inOrg(org.orgId(),
                tx -> TestSql.execute(tx, "UPDATE audit_log SET outcome = 'ok' WHERE org_id = ?", org.orgId())));
        assertTrue(String.valueOf(e.getMessage()).contains("append-only"), e.getMessage());
        assertThrows(RuntimeException.class, () -> app.db().inOrg(org.orgId(),
                tx -> TestSql.execute(tx, "DELETE FROM audit_log WHERE org_id = ?", org.orgId())));
    }

    @Test
    void verifyAuditCatchesAnEditedEntry() {
        TestOrg org = app.newOrg(true);
        for (int i = 0; i < 3; i++) {
            org.asAuditor(Map.of("action", "list"));
        }
        assertTrue(verify(org).get("ok").asBoolean());
        long seq = bypassingTrigger(org, "UPDATE audit_log SET outcome = 'FORBIDDEN' WHERE org_id = ? AND seq = 2");
        JsonNode v = verify(org);
        assertFalse(v.get("ok").asBoolean(), v.toString());
        assertEquals("content_changed", v.get("findings").get(0).get("kind").asText(), v.toString());
        assertEquals(2, v.get("findings").get(0).get("seq").asLong());
        assertEquals(1, seq);
    }

    @Test
    void verifyAuditCatchesARemovedEntry() {
        TestOrg org = app.newOrg(true);
        for (int i = 0; i < 3; i++) {
            org.asAuditor(Map.of("action", "list"));
        }
        bypassingTrigger(org, "DELETE FROM audit_log WHERE org_id = ? AND seq = 3");
        JsonNode v = verify(org);
        assertFalse(v.get("ok").asBoolean(), v.toString());
        Set<String> kinds = new HashSet<>();
        v.get("findings").forEach(f -> kinds.add(f.get("kind").asText()));
        assertTrue(kinds.contains("entries_missing") && kinds.contains("chain_broken"), v.toString());

        // removing the oldest entries is caught too: no pruning accounts for them
        TestOrg other = app.newOrg(true);
        other.asAuditor(Map.of("action", "list"));
        bypassingTrigger(other, "DELETE FROM audit_log WHERE org_id = ? AND seq = 1");
        JsonNode w = verify(other);
        assertFalse(w.get("ok").asBoolean(), w.toString());
        assertEquals("chain_start", w.get("findings").get(0).get("kind").asText(), w.toString());
    }

    @Test
    void pruningFollowsTheOrgsAuditRetention() {
        TestOrg shortLived = app.newOrg(true);
        TestApp.Response r = shortLived.asAdmin(Map.of("action", "update_settings", "audit_retention_days", 0));
        assertEquals(200, r.status(), r.body());
        assertEquals(1, shortLived.asAdmin(Map.of("action", "get_settings")).data().get("audit_retention_days").asInt(),
                "clamped to 1");
        TestOrg clampedHigh = app.newOrg(false);
        assertEquals(200, clampedHigh.asAdmin(Map.of("action", "update_settings", "audit_retention_days", 99999)).status());
        assertEquals(3650, clampedHigh.asAdmin(Map.of("action", "get_settings")).data().get("audit_retention_days").asInt());
        TestOrg longLived = app.newOrg(true);
        for (TestOrg o : List.of(shortLived, longLived)) {
            for (int i = 0; i < 4; i++) {
                o.asAuditor(Map.of("action", "list"));
            }
        }
        // the first three entries of each org are two days old now
        bypassingTrigger(shortLived, "UPDATE audit_log SET occurred_at = occurred_at - interval '2 days' WHERE org_id = ? AND seq <= 3");
        bypassingTrigger(longLived, "UPDATE audit_log SET occurred_at = occurred_at - interval '2 days' WHERE org_id = ? AND seq <= 3");
        long shortBefore = count(shortLived, "SELECT count(*) FROM audit_log WHERE org_id = ?");
        long longBefore = count(longLived, "SELECT count(*) FROM audit_log WHERE org_id = ?");

        app.bean(AuditService.class).prune();

        assertEquals(0, count(shortLived, "SELECT count(*) FROM audit_log WHERE org_id = ? AND seq <= 3"));
        // three removed, the pruning's own entry added
        assertEquals(shortBefore - 3 + 1, count(shortLived, "SELECT count(*) FROM audit_log WHERE org_id = ?"));
        assertEquals(1, count(shortLived,
                "SELECT count(*) FROM audit_log WHERE org_id = ? AND action = 'audit_prune' AND actor_type = 'system' AND details->>'through_seq' = '3'"));
        assertEquals(longBefore, count(longLived, "SELECT count(*) FROM audit_log WHERE org_id = ?"));
        JsonNode v = verify(shortLived);
        assertTrue(v.get("ok").asBoolean(), "a pruned chain still verifies: " + v);
    }

    @Test
    void auditActionPagesNewestFirstWithFilters() {
        TestOrg org = app.newOrg(true);
        UUID session = org.start(org.adminId());
        for (int i = 0; i < 3; i++) {
            org.asAuditor(Map.of("action", "get", "session_id", session.toString()));
        }
        List<Long> ids = new ArrayList<>();
        String cursor = null;
        do {
            Map<String, Object> body = new HashMap<>(Map.of("action", "audit", "session_id", session.toString(), "limit", 2));
            if (cursor != null) {
                body.put("cursor", cursor);
            }
            TestApp.Response page = org.asAdmin(body);
            assertEquals(200, page.status(), page.body());
            page.data().get("entries").forEach(en -> {
                ids.add(en.get("id").asLong());
                assertEquals(session.toString(), en.get("target").get("id").asText());
                assertEquals("recording", en.get("target").get("type").asText());
                assertTrue(en.get("occurred_at").asText().endsWith("Z"));
            });
            cursor = page.data().get("next_cursor").isNull() ? null : page.data().get("next_cursor").asText();
        } while (cursor != null);
        assertEquals(4, ids.size(), "start and three gets: " + ids);
        for (int i = 1; i < ids.size(); i++) {
            assertTrue(ids.get(i - 1) > ids.get(i), "newest first: " + ids);
        }
        TestApp.Response gets = org.asAuditor(Map.of("action", "audit", "audit_action", "get", "actor_id",
                org.auditorId().toString(), "outcome", "ok", "since", "2000-01-01T00:00:00Z"));
        assertEquals(3, gets.data().get("entries").size(), gets.body());
        JsonNode first = gets.data().get("entries").get(0);
        assertEquals("user", first.get("actor").get("type").asText());
        assertEquals("auditor", first.get("actor").get("name").asText());
        assertNotNull(first.get("request_id").asText());
        assertError(org.asMember(Map.of("action", "audit")), 403, "FORBIDDEN");
        assertError(org.asAdmin(Map.of("action", "audit", "cursor", "bogus!")), 400, "INVALID_INPUT");
        assertError(org.asAdmin(Map.of("action", "audit", "since", "yesterday")), 400, "INVALID_INPUT");
    }

    @Test
    void exportStreamsEveryEntryAsJsonLinesOrCsv() {
        TestOrg org = app.newOrg(true);
        // more than one keyset page of the export
        app.db().inOrg(org.orgId(), tx -> {
            for (int i = 0; i < 620; i++) {
                TestSql.execute(tx, "SELECT castvault_audit_append(?::uuid, 'system', NULL, 'system', 'test', NULL, NULL, 'ok',"
                        + " NULL, '=cmd|calc', NULL, '{}'::jsonb)", org.orgId());
            }
            return null;
        });
        long total = count(org, "SELECT count(*) FROM audit_log WHERE org_id = ?");
        TestApp.Response jsonl = app.get("/api/audit/" + org.orgId() + "/export?format=jsonl", app.token(org.auditorId()));
        assertEquals(200, jsonl.status(), jsonl.body());
        String[] lines = jsonl.body().split("\n");
        assertEquals(total, lines.length);
        Set<String> distinct = new HashSet<>();
        for (String line : lines) {
            try {
                distinct.add(TestApp.JSON.readTree(line).get("id").asText());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        assertEquals(total, distinct.size(), "no entry twice across pages");

        TestApp.Response csv = app.get("/api/audit/" + org.orgId() + "/export?format=csv&audit_action=test",
                app.token(org.adminId()));
        assertEquals(200, csv.status());
        String[] rows = csv.body().split("\n");
        assertTrue(rows[0].startsWith("id,occurred_at,actor_type"), rows[0]);
        assertEquals(621, rows.length, "header and the 620 filtered entries");
        assertTrue(rows[1].contains(",'=cmd|calc,"), "formula-like cells are defused: " + rows[1]);

        assertError(app.get("/api/audit/" + org.orgId() + "/export?format=xml", app.token(org.adminId())), 400, "INVALID_INPUT");
        assertError(app.get("/api/audit/" + org.orgId() + "/export", app.token(org.memberId())), 403, "FORBIDDEN");
    }

    private static Sent castDownload(TestOrg org, UUID user, UUID session, String forwardedFor) {
        String requestId = "test-" + UUID.randomUUID();
        HttpRequest request = HttpRequest.newBuilder(app.url("/api/session-recording/" + org.orgId() + "/" + session + "/cast"))
                .header("Authorization", "Bearer " + app.token(user)).header("X-Request-Id", requestId)
                .header("X-Forwarded-For", forwardedFor).GET().build();
        return new Sent(app.send(request), requestId);
    }

    private static JsonNode verify(TestOrg org) {
        TestApp.Response r = org.asAuditor(Map.of("action", "verify_audit"));
        assertEquals(200, r.status(), r.body());
        return r.data();
    }

    private static long count(TestOrg org, String sql) {
        return app.db().acrossOrgs(tx -> TestSql.count(tx, sql, org.orgId()));
    }

    /**
     * Tampering as someone who can switch the guard off (the table's owner, as here, or a superuser): the
     * trigger no longer stops it, only the chain can tell.
     */
    private static long bypassingTrigger(TestOrg org, String sql) {
        return app.db().acrossOrgs(tx -> {
            TestSql.execute(tx, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
            int n = TestSql.execute(tx, sql, org.orgId());
            TestSql.execute(tx, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
            return (long) n;
        });
    }
}
