package io.castvault.db;

import java.time.Instant;
import java.util.UUID;

/** Filters of the audit query; null means "any". {@code sessionId} matches the entry's target. */
public record AuditFilter(Instant since, Instant until, UUID actorId, String action, UUID sessionId, String sourceIp,
                          String outcome) {
    public static final AuditFilter ALL = new AuditFilter(null, null, null, null, null, null, null);
}
