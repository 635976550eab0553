package io.castvault.events;

import java.util.UUID;

/**
 * Where the consumer writes the {@code ssh_session_end} audit entry (the recording module writes it to the
 * audit trail); kept behind this interface so the events module does not depend on the recording module.
 */
public interface SessionEndAudit {
    /** Writes the entry once; false when it was already written (a redelivered event). */
    boolean record(SessionEndEvent event, UUID recordingId);
}
