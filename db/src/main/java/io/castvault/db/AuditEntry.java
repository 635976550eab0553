package io.castvault.db;

import java.util.UUID;

/**
 * One audit entry to append. {@code orgId} is null only for a failed authentication that names no org we can
 * believe; {@code actorName} may be null, the database then takes the user's or machine's current name.
 */
public record AuditEntry(UUID orgId, String actorType, UUID actorId, String actorName, String action,
                         String targetType, UUID targetId, String outcome, String sourceIp, String userAgent,
                         String requestId, String detailsJson) {
    public static final String OK = "ok";
}
