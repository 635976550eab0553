package io.castvault.recording;

import io.castvault.events.Events;
import io.castvault.events.Outbox;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.Database;
import io.castvault.db.LegalHoldQueries;
import io.castvault.db.Role;
import io.castvault.db.Tx;

import java.util.UUID;

/**
 * Legal hold: a held recording (or every recording of a held org) is never deleted, by {@code delete}, by
 * {@code cleanup} or by the retention sweep, until the hold is released.
 */
public final class LegalHoldService {
    public static final int MAX_REASON_CHARS = 1000;

    private final Database db;

    public LegalHoldService(Database db) {
        this.db = db;
    }

    public record HoldChanged(UUID sessionId, boolean hold) {
    }

    public HoldChanged set(Caller caller, UUID sessionId, boolean hold, String reason) {
        caller.requireRole(Role.ADMIN);
        if (hold && (reason == null || reason.isBlank())) {
            throw CastvaultException.missing("reason");
        }
        if (reason != null && reason.length() > MAX_REASON_CHARS) {
            throw CastvaultException.invalid("reason must be at most " + MAX_REASON_CHARS + " characters");
        }
        return db.inOrg(caller.orgId(), tx -> {
            LegalHoldQueries.Hold before = LegalHoldQueries.lockHold(tx, sessionId)
                    .orElseThrow(() -> CastvaultException.notFound("recording"));
            LegalHoldQueries.setHold(tx, sessionId, hold, reason);
            ObjectNode d = Json.MAPPER.createObjectNode();
            d.put("hold", hold);
            d.put("reason", reason);
            d.put("previous_hold", before.recording());
            d.put("previous_reason", before.reason());
            Audit.change(tx, caller, "set_legal_hold", Audit.Target.recording(sessionId), d);
            Outbox.append(tx, Events.legalHoldChanged(caller.orgId(), sessionId, hold, reason, caller.userId()));
            return new HoldChanged(sessionId, hold);
        });
    }

    /** Refuses the deletion of a held recording; an unknown one is left to the caller's own 404. */
    public static void requireDeletable(Tx tx, UUID sessionId) {
        LegalHoldQueries.lockHold(tx, sessionId).filter(LegalHoldQueries.Hold::held).ifPresent(h -> {
            throw new CastvaultException(ErrorCode.LEGAL_HOLD, h.recording()
                    ? "the recording is under legal hold: " + h.reason()
                    : "the org is under legal hold; no recording can be deleted");
        });
    }

    /** How many recordings of every org are past their retention but kept by a hold (logged by the sweep). */
    public int expiredHeldEverywhere() {
        return db.acrossOrgs(LegalHoldQueries::countExpiredHeld);
    }

    /** How many of the org's recordings are past their retention but kept by a hold. */
    public int expiredHeld(Caller caller) {
        return db.inOrg(caller.orgId(), LegalHoldQueries::countExpiredHeld);
    }
}
