package io.castvault.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.castvault.db.OutboxQueries.OutboxRow;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every builder's payload, as the relay publishes it, matches the schema in the repository, and vice versa. */
class EventsSchemaTest {
    private static final UUID ORG = UUID.randomUUID();
    private static final UUID REC = UUID.randomUUID();
    private static final UUID USER = UUID.randomUUID();

    private static List<Event> everyType() {
        ArrayNode gaps = Events.JSON.createArrayNode();
        gaps.addArray().add(1).add(1);
        gaps.addArray().add(3).add(4);
        return List.of(
                Events.recordingStarted(ORG, REC, UUID.randomUUID(), USER, "ssh", Instant.now(), "gw-1"),
                Events.recordingStarted(ORG, REC, null, USER, "ssh", Instant.now(), null),
                Events.recordingSealed(ORG, REC, "ab".repeat(32), 1234, gaps, 5, 12.5, "session-recordings/x/y/recording.json", false),
                Events.recordingSealed(ORG, REC, "cd".repeat(32), 0, Events.JSON.createArrayNode(), 0, 0, "k", true),
                Events.recordingDeleted(ORG, REC, Events.DeleteReason.ADMIN, USER),
                Events.recordingDeleted(ORG, REC, Events.DeleteReason.RETENTION, null),
                Events.retentionCompleted(ORG, "sweep", null, 7),
                Events.settingsChanged(ORG, USER, true, 30, "platform"),
                Events.legalHoldChanged(ORG, REC, true, "litigation 42", USER),
                Events.legalHoldChanged(ORG, null, false, null, USER),
                Events.signingKeyRotated(ORG, "SHA256:abc", null, USER));
    }

    static JsonNode published(Event e) throws Exception {
        OutboxRow row = new OutboxRow(1, e.id(), e.orgId(), e.type().wireName(), e.type().version(), Instant.now(),
                e.data().toString());
        return Events.JSON.readTree(OutboxRelay.payload(row));
    }

    @Test
    void everyPayloadMatchesTheSchema() throws Exception {
        Set<EventType> seen = EnumSet.noneOf(EventType.class);
        for (Event e : everyType()) {
            JsonNode payload = published(e);
            assertEquals(List.of(), EventSchema.problems(payload), payload.toString());
            assertEquals(e.id().toString(), payload.get("id").asText());
            assertEquals(ORG.toString(), payload.get("org_id").asText());
            seen.add(e.type());
        }
        assertEquals(EnumSet.allOf(EventType.class), seen, "a builder per type");
    }

    @Test
    void theSchemaDocumentsExactlyTheTypesWePublish() {
        List<String> documented = new ArrayList<>();
        EventSchema.schema().path("$defs").fieldNames().forEachRemaining(documented::add);
        List<String> ours = EnumSet.allOf(EventType.class).stream().map(EventType::wireName).toList();
        assertEquals(Set.copyOf(ours), Set.copyOf(documented));
    }

    @Test
    void theCheckFindsWhatIsWrong() throws Exception {
        JsonNode good = published(Events.recordingDeleted(ORG, REC, Events.DeleteReason.ADMIN, USER));
        var missing = good.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) missing.get("data")).remove("reason");
        assertFalse(EventSchema.problems(missing).isEmpty());
        var extra = good.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) extra.get("data")).put("surprise", 1);
        assertFalse(EventSchema.problems(extra).isEmpty());
        var badEnum = good.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) badEnum.get("data")).put("reason", "whim");
        assertFalse(EventSchema.problems(badEnum).isEmpty());
        var badUuid = good.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) badUuid).put("org_id", "nope");
        assertTrue(EventSchema.problems(badUuid).stream().anyMatch(p -> p.contains("UUID")));
    }
}
