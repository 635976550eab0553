package io.castvault.events;

import io.castvault.db.Database;
import io.castvault.db.OrgQueries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.UUID;

/**
 * What one session-end event does, apart from NATS: seal the recording the session names (if still active),
 * then write the audit entry. Both steps are idempotent, so a redelivery after a failure between them, or after
 * a lost acknowledgement, changes nothing twice.
 */
public final class SessionEndHandler {
    private static final Logger LOG = LoggerFactory.getLogger(SessionEndHandler.class);

    public enum Outcome {
        HANDLED,
        /** handled before: the audit entry exists */
        DUPLICATE,
        MALFORMED,
        UNKNOWN_ORG
    }

    private final Database db;
    private final RecordingSealer sealer;
    private final SessionEndAudit audit;

    public SessionEndHandler(Database db, RecordingSealer sealer, SessionEndAudit audit) {
        this.db = db;
        this.sealer = sealer;
        this.audit = audit;
    }

    /** Throws (a {@code RuntimeException}) when a tier is unavailable: the caller retries later. */
    public Outcome handle(byte[] body) {
        SessionEndEvent event;
        try {
            event = SessionEndEvent.parse(body);
        } catch (SessionEndEvent.Malformed e) {
            LOG.warn("session-end event dropped: {}", e.getMessage());
            return Outcome.MALFORMED;
        }
        UUID org = event.orgId();
        if (!db.inOrg(org, tx -> OrgQueries.orgExists(tx, org))) {
            LOG.warn("session-end event {} dropped: unknown org {}", event.sessionId(), org);
            return Outcome.UNKNOWN_ORG;
        }
        Optional<UUID> recording = sealer.sealIfActive(org, event.sessionId(), event.endTime());
        return audit.record(event, recording.orElse(null)) ? Outcome.HANDLED : Outcome.DUPLICATE;
    }
}
