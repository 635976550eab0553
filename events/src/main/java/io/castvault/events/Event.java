package io.castvault.events;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.UUID;

/**
 * One lifecycle change of an org, as it will be published on {@code castvault.{org_id}.{type}}. {@code data}
 * follows the schema of {@code type} at {@code version} (events/schema/castvault-events.schema.json).
 */
public record Event(UUID id, UUID orgId, EventType type, ObjectNode data) {
}
