package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.castvault.api.SettingsAndAuthTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seed ST4: list with pagination, filters, newest first, machine names via LEFT JOIN, per-status stats. */
class ListAndStatsTest extends ServiceTest {

    @Test
    void listsNewestFirstWithStatsOverTheFilterNotThePage() {
        TestOrg org = app.newOrg(true);
        UUID otherMachine = app.machines().add(org.orgId(), "Win-A", org.adminId()).machineId();
        List<UUID> started = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            boolean onOther = i % 3 == 0;
            TestApp.Response r = org.asAdmin(Map.of("action", "start", "session_type", "ssh",
                    "machine_id", (onOther ? otherMachine : org.machine().machineId()).toString()));
            UUID id = UUID.fromString(r.data().get("session_id").asText());
            started.add(id);
            if (i % 2 == 0) { // 0, 2, 4, 6 completed with durations 10, 30, 50, 70
                org.asAdmin(Map.of("action", "complete", "session_id", id.toString(), "duration_seconds", 10 + 10 * i));
            }
        }
        JsonNode all = org.asAdmin(Map.of("action", "list", "limit", 3)).data();
        assertEquals(3, all.get("recordings").size());
        List<String> newestFirst = started.reversed().stream().map(UUID::toString).toList();
        assertEquals(newestFirst.subList(0, 3), ids(all));
        assertEquals(Map.of("completed", List.of(4L, 160.0), "active", List.of(3L, 0.0)), stats(all));

        JsonNode page2 = org.asAdmin(Map.of("action", "list", "limit", 3, "offset", 3)).data();
        assertEquals(newestFirst.subList(3, 6), ids(page2));
        JsonNode page3 = org.asAdmin(Map.of("action", "list", "limit", 3, "offset", 6)).data();
        assertEquals(newestFirst.subList(6, 7), ids(page3));

        JsonNode completed = org.asAuditor(Map.of("action", "list", "status", "completed")).data();
        assertEquals(4, completed.get("recordings").size());
        completed.get("recordings").forEach(r -> assertEquals("completed", r.get("status").asText()));
        assertEquals(Map.of("completed", List.of(4L, 160.0)), stats(completed));

        JsonNode onOther = org.asAdmin(Map.of("action", "list", "machine_id", otherMachine.toString())).data();
        assertEquals(List.of(started.get(6), started.get(3), started.get(0)).stream().map(UUID::toString).toList(), ids(onOther));
        onOther.get("recordings").forEach(r -> assertEquals("Win-A", r.get("machine_name").asText()));
        assertEquals(Map.of("completed", List.of(2L, 80.0), "active", List.of(1L, 0.0)), stats(onOther));

        JsonNode both = org.asAdmin(Map.of("action", "list", "machine_id", otherMachine.toString(), "status", "active")).data();
        assertEquals(List.of(started.get(3).toString()), ids(both));
    }

    @Test
    void aCursorWalksEveryRowOnceInOrderAcrossEqualStartTimes() {
        TestOrg org = app.newOrg(true);
        UUID otherMachine = app.machines().add(org.orgId(), "Win-B", org.adminId()).machineId();
        List<UUID> started = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            TestApp.Response r = org.asAdmin(Map.of("action", "start", "session_type", "ssh",
                    "machine_id", (i % 2 == 0 ? otherMachine : org.machine().machineId()).toString()));
            started.add(UUID.fromString(r.data().get("session_id").asText()));
        }
        // Five rows share one started_at (with microseconds), so the seek must order by id within a tie.
        app.db().acrossOrgs(tx -> {
            for (UUID id : started.subList(3, 8)) {
                io.castvault.db.TestSql.execute(tx,
                        "UPDATE session_recordings SET started_at = timestamptz '2026-01-01 00:00:00.123456+00' WHERE id = ?", id);
            }
            return null;
        });
        List<String> expected = ids(org.asAdmin(Map.of("action", "list", "limit", 200)).data());
        assertEquals(11, expected.size());
        assertTrue(org.asAdmin(Map.of("action", "list", "limit", 200)).data().get("cursor").isNull(),
                "a page that holds everything is the last");

        List<String> walked = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Map<String, Object> req = new HashMap<>(Map.of("action", "list", "limit", 2));
            if (cursor != null) {
                req.put("cursor", cursor);
            }
            JsonNode page = org.asAuditor(req).data();
            walked.addAll(ids(page));
            cursor = page.get("cursor").isNull() ? null : page.get("cursor").asText();
            assertEquals(Map.of("active", List.of(11L, 0.0)), stats(page), "stats cover the filter on every page");
            pages++;
        } while (cursor != null && pages < 20);
        assertEquals(expected, walked, "each row once, in list order");
        assertEquals(6, pages, "11 rows in pages of 2; the last page has no cursor");

        // A cursor is a position, not a page number: with a filter it continues the filtered order.
        JsonNode firstOther = org.asAdmin(Map.of("action", "list", "limit", 3, "machine_id", otherMachine.toString())).data();
        JsonNode restOther = org.asAdmin(Map.of("action", "list", "limit", 200, "machine_id", otherMachine.toString(),
                "cursor", firstOther.get("cursor").asText())).data();
        List<String> other = new ArrayList<>(ids(firstOther));
        other.addAll(ids(restOther));
        assertEquals(expected.stream().filter(id -> started.indexOf(UUID.fromString(id)) % 2 == 0).toList(), other);
        assertTrue(restOther.get("cursor").isNull());

        // Offset paging still answers, and its page's cursor continues where it ended.
        JsonNode byOffset = org.asAdmin(Map.of("action", "list", "limit", 4, "offset", 4)).data();
        assertEquals(expected.subList(4, 8), ids(byOffset));
        assertEquals(expected.subList(8, 11), ids(org.asAdmin(Map.of("action", "list", "limit", 200,
                "cursor", byOffset.get("cursor").asText())).data()));

        // Another org's cursor is only a position: it never reveals that org's rows.
        TestOrg stranger = app.newOrg(true);
        assertEquals(0, stranger.asAdmin(Map.of("action", "list", "cursor", byOffset.get("cursor").asText()))
                .data().get("recordings").size());
    }

    @Test
    void aCursorThisServiceDidNotIssueIsRefused() {
        TestOrg org = app.newOrg(true);
        org.start(org.memberId());
        org.start(org.memberId());
        String good = org.asAdmin(Map.of("action", "list", "limit", 1)).data().get("cursor").asText();
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        byte[] raw = java.util.Base64.getUrlDecoder().decode(good);
        raw[0] = 2; // an unknown version
        for (String bad : List.of("x", "!!!!", good.substring(1), good + "A", b64.encodeToString(raw),
                "A".repeat(34).replace('A', '*'), "A".repeat(65))) {
            assertError(org.asAdmin(Map.of("action", "list", "cursor", bad)), 400, "INVALID_INPUT");
        }
        assertError(org.asAdmin(Map.of("action", "list", "cursor", good, "offset", 1)), 400, "INVALID_INPUT");
        assertError(org.asAdmin(Map.of("action", "list", "cursor", 7)), 400, "INVALID_INPUT");
        assertEquals(1, org.asAdmin(Map.of("action", "list", "cursor", good)).data().get("recordings").size());
    }

    @Test
    void defaultAndMaximumPageSizes() {
        TestOrg org = app.newOrg(true);
        for (int i = 0; i < 23; i++) {
            org.start(org.memberId());
        }
        assertEquals(20, org.asAdmin(Map.of("action", "list")).data().get("recordings").size());
        assertEquals(23, org.asAdmin(Map.of("action", "list", "limit", 5000)).data().get("recordings").size(),
                "limit is capped at 200, not refused");
        assertError(org.asAdmin(Map.of("action", "list", "limit", 0)), 400, "INVALID_INPUT");
        assertError(org.asAdmin(Map.of("action", "list", "offset", -1)), 400, "INVALID_INPUT");
        assertError(org.asAdmin(Map.of("action", "list", "status", "deleting")), 400, "INVALID_INPUT");
        assertError(org.asAdmin(Map.of("action", "list", "machine_id", "x")), 400, "INVALID_INPUT");
    }

    @Test
    void aDeletedMachineLeavesItsRecordingsWithANullName() {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        app.machines().delete(org.machine().machineId());
        JsonNode list = org.asAdmin(Map.of("action", "list")).data();
        assertEquals(1, list.get("recordings").size());
        JsonNode row = list.get("recordings").get(0);
        assertEquals(id.toString(), row.get("id").asText());
        assertTrue(row.get("machine_name").isNull());
        assertTrue(row.get("machine_id").isNull());
        JsonNode got = org.asAdmin(Map.of("action", "get", "session_id", id.toString())).data();
        assertTrue(got.get("recording").get("machine_name").isNull());
    }

    @Test
    void anEmptyOrgHasNoRowsAndNoStats() {
        TestOrg org = app.newOrg(true);
        JsonNode list = org.asAdmin(Map.of("action", "list")).data();
        assertEquals(0, list.get("recordings").size());
        assertEquals(0, list.get("stats").size());
    }

    private static List<String> ids(JsonNode data) {
        List<String> ids = new ArrayList<>();
        data.get("recordings").forEach(r -> ids.add(r.get("id").asText()));
        return ids;
    }

    private static Map<String, List<Number>> stats(JsonNode data) {
        Map<String, List<Number>> m = new HashMap<>();
        data.get("stats").forEach(s -> m.put(s.get("status").asText(),
                List.of(s.get("count").asLong(), s.get("total_duration").asDouble())));
        return m;
    }
}
