package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.db.TestSql;
import io.castvault.events.EventSchema;
import io.castvault.recording.RetentionService;
import io.castvault.testing.TestNats;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every lifecycle change arrives exactly once, on castvault.{org_id}.{type}, with the documented payload. */
class EventsLifecycleTest {

    @Test
    void everyLifecycleChangeArrivesOnceWithTheDocumentedPayload() throws Exception {
        try (TestNats nats = TestNats.start();
             TestApp app = TestApp.start(Map.of("castvault.events.nats-url", nats.url()), false)) {
            TestOrg org = app.newOrg(true); // update_settings: settings.changed
            String machine = org.machine().machineId().toString();

            TestApp.Response started = org.asMember(Map.of("action", "start", "machine_id", machine,
                    "session_type", "ssh", "gateway_session_id", "gw-abc-1"));
            assertEquals(201, started.status(), started.body());
            UUID sealed = UUID.fromString(started.data().get("session_id").asText());
            assertEquals(200, org.upload(org.memberId(), sealed, 0, "[0.5, \"o\", \"$ \"]").status());
            assertEquals(200, org.upload(org.memberId(), sealed, 2, "[1.5, \"o\", \"ls\\r\\n\"]").status());
            assertEquals(200, org.complete(org.memberId(), sealed).status());

            UUID abandoned = org.start(org.memberId());
            UUID deleted = org.start(org.memberId());
            assertEquals(200, org.asAdmin(Map.of("action", "delete", "session_id", deleted.toString())).status());
            UUID expired = org.start(org.memberId());
            assertEquals(200, org.complete(org.memberId(), expired).status());
            app.db().acrossOrgs(tx -> {
                TestSql.execute(tx, "UPDATE session_recordings SET started_at = now() - interval '2 days' WHERE id = ?", abandoned);
                TestSql.execute(tx, "UPDATE session_recordings SET started_at = now() - interval '100 days' WHERE id = ?", expired);
                return null;
            });
            app.bean(RetentionService.class).sweep();
            assertEquals(200, org.asAdmin(Map.of("action", "cleanup")).status());
            TestApp.Response ingested = AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(),
                    "[0, \"o\", \"hi\\n\"]", 3.0), null);
            assertEquals(201, ingested.status(), ingested.body());
            UUID agent = UUID.fromString(ingested.data().get("session_id").asText());

            // legal holds, on one recording and org-wide, and a rotation of the org's signing key
            TestApp.Response held = org.asAdmin(Map.of("action", "set_legal_hold", "session_id", sealed.toString(),
                    "hold", true, "reason", "litigation 2026-17"));
            assertEquals(200, held.status(), held.body());
            assertEquals(200, org.asAdmin(Map.of("action", "update_settings", "legal_hold", true)).status());
            JsonNode keys = org.asAdmin(Map.of("action", "get_public_keys")).data().get("keys");
            assertEquals(1, keys.size(), "the seals above made the org's first key: " + keys);
            String previousKey = keys.get(0).get("fingerprint").asText();
            TestApp.Response rotated = org.asAdmin(Map.of("action", "rotate_signing_key"));
            assertEquals(200, rotated.status(), rotated.body());

            List<EventStream.Received> events = EventStream.awaitEvents(app, nats, 17, Duration.ofSeconds(30));
            assertEquals(17, events.size(), events.toString());

            Set<String> ids = new HashSet<>();
            for (EventStream.Received e : events) {
                assertEquals(List.of(), EventSchema.problems(e.payload()), e.payload().toString());
                assertEquals("castvault." + org.orgId() + "." + e.type(), e.subject());
                assertEquals(e.payload().get("id").asText(), e.msgId(), "Nats-Msg-Id is the event id");
                assertEquals(org.orgId().toString(), e.payload().get("org_id").asText());
                assertEquals(1, e.payload().get("version").asInt());
                assertTrue(ids.add(e.msgId()), "no event twice");
            }
            List<String> order = events.stream().map(e -> e.type() + " " + e.data().path("recording_id").asText("-")).toList();
            assertEquals(List.of(
                    "settings.changed -",
                    "recording.started " + sealed,
                    "recording.sealed " + sealed,
                    "recording.started " + abandoned,
                    "recording.started " + deleted,
                    "recording.deleted " + deleted,
                    "recording.started " + expired,
                    "recording.sealed " + expired,
                    "recording.deleted " + expired,
                    "retention.completed -",
                    "recording.auto_completed " + abandoned,
                    "retention.completed -",
                    "recording.sealed " + agent,
                    "legal_hold.changed " + sealed,
                    "settings.changed -",
                    "legal_hold.changed -",
                    "signing_key.rotated -"), order);

            JsonNode settings = events.get(0).data();
            assertEquals(org.adminId().toString(), settings.get("actor_id").asText());
            assertTrue(settings.get("recording_enabled").asBoolean());
            JsonNode start = events.get(1).data();
            assertEquals("gw-abc-1", start.get("gateway_session_id").asText());
            assertEquals(machine, start.get("machine_id").asText());
            assertEquals(org.memberId().toString(), start.get("user_id").asText());
            assertTrue(events.get(3).data().get("gateway_session_id").isNull());
            JsonNode seal = events.get(2).data();
            JsonNode got = org.asAdmin(Map.of("action", "get", "session_id", sealed.toString())).data();
            assertEquals(got.at("/r2_data/recording_sha256").asText(), seal.get("recording_sha256").asText());
            assertEquals(got.at("/r2_data/recording_bytes").asLong(), seal.get("bytes").asLong());
            assertEquals("[[1,1]]", seal.get("gaps").toString());
            assertEquals(2, seal.get("chunks").asInt());
            JsonNode adminDelete = events.get(5).data();
            assertEquals("admin", adminDelete.get("reason").asText());
            assertEquals(org.adminId().toString(), adminDelete.get("actor_id").asText());
            JsonNode retentionDelete = events.get(8).data();
            assertEquals("retention", retentionDelete.get("reason").asText());
            assertTrue(retentionDelete.get("actor_id").isNull());
            assertEquals("sweep", events.get(9).data().get("trigger").asText());
            assertEquals(1, events.get(9).data().get("recordings_expired").asInt());
            assertEquals("cleanup", events.get(11).data().get("trigger").asText());
            assertEquals(0, events.get(11).data().get("recordings_expired").asInt());
            assertEquals(org.adminId().toString(), events.get(11).data().get("actor_id").asText());
            JsonNode recordingHold = events.get(13).data();
            assertTrue(recordingHold.get("hold").asBoolean());
            assertEquals("litigation 2026-17", recordingHold.get("reason").asText());
            assertEquals(org.adminId().toString(), recordingHold.get("actor_id").asText());
            JsonNode orgHold = events.get(15).data();
            assertTrue(orgHold.get("recording_id").isNull(), "org-wide: " + orgHold);
            assertTrue(orgHold.get("hold").asBoolean());
            assertTrue(orgHold.get("reason").isNull());
            assertEquals(org.adminId().toString(), orgHold.get("actor_id").asText());
            JsonNode rotation = events.get(16).data();
            assertEquals(rotated.data().get("fingerprint").asText(), rotation.get("fingerprint").asText());
            assertEquals(previousKey, rotation.get("previous_fingerprint").asText());
            assertNotEquals(previousKey, rotation.get("fingerprint").asText());
            assertEquals(org.adminId().toString(), rotation.get("actor_id").asText());

            // a second recording of one gateway session is refused, and no event is written for it
            TestApp.Response again = org.asMember(Map.of("action", "start", "machine_id", machine,
                    "session_type", "ssh", "gateway_session_id", "gw-abc-1"));
            assertEquals(409, again.status(), again.body());
            TestApp.Response bad = org.asMember(Map.of("action", "start", "machine_id", machine,
                    "session_type", "ssh", "gateway_session_id", "has spaces"));
            assertEquals("INVALID_INPUT", bad.errorCode());
            Thread.sleep(1000);
            assertEquals(17, EventStream.events(nats.url()).size());
            assertEquals(0, EventStream.outboxSize(app));
            JsonNode health = app.get("/health", null).json().get("nats");
            assertEquals("up", health.get("status").asText());
            assertEquals(17, health.get("events_published").asInt());
        }
    }

    @Test
    void withoutNatsNothingIsWrittenToTheOutbox() throws Exception {
        try (TestApp app = TestApp.start()) {
            TestOrg org = app.newOrg(true);
            org.complete(org.memberId(), org.start(org.memberId()));
            assertEquals(0, EventStream.outboxSize(app));
            assertNull(app.get("/health", null).json().get("nats"));
        }
    }
}
