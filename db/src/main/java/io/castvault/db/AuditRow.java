package io.castvault.db;

import java.time.Instant;
import java.util.UUID;

/** An audit entry as it is read back. */
public record AuditRow(long id, long seq, Instant occurredAt, String actorType, UUID actorId, String actorName,
                       String action, String targetType, UUID targetId, String outcome, String sourceIp,
                       String userAgent, String requestId, String detailsJson) {
}
