package io.castvault.events;

import java.util.UUID;

/**
 * Where the consumer writes the {@code ssh_session_end} audit entry. Until the audit trail of issue 15 is on
 * main this is {@link GatewaySessionEndTable}; at merge, an adapter onto the audit trail replaces it.
 */
public interface SessionEndAudit {
    /** Writes the entry once; false when it was already written (a redelivered event). */
    boolean record(SessionEndEvent event, UUID recordingId);
}
