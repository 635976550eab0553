package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.db.Database;
import io.castvault.db.GatewaySessionQueries;
import io.castvault.db.Tx;
import io.castvault.events.RecordingSealer;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Recordings named by a gateway session (issue 16): {@code start}'s optional {@code gateway_session_id}, and the
 * sealing that the gateway's session-end event triggers, through the same path as {@code complete}.
 */
public final class GatewaySessionSealing implements RecordingSealer {
    private static final Pattern GATEWAY_SESSION_ID = Pattern.compile("[A-Za-z0-9._:@/+=-]{1,128}");

    private final Database db;
    private final Sealing sealing;

    public GatewaySessionSealing(Database db, Sealing sealing) {
        this.db = db;
        this.sealing = sealing;
    }

    /** Null is allowed (the field is optional); anything else must look like a gateway's session id. */
    public static void requireGatewaySessionId(String gatewaySessionId) {
        if (gatewaySessionId != null && !GATEWAY_SESSION_ID.matcher(gatewaySessionId).matches()) {
            throw CastvaultException.invalid("gateway_session_id must be 1..128 characters of [A-Za-z0-9._:@/+=-]");
        }
    }

    /** Stores the gateway session id on a recording being started; a second recording of one session is refused. */
    static void bind(Tx tx, UUID recordingId, String gatewaySessionId) {
        if (gatewaySessionId == null) {
            return;
        }
        if (GatewaySessionQueries.isTaken(tx, gatewaySessionId)) {
            throw CastvaultException.conflict("gateway_session_id " + gatewaySessionId + " already names a recording");
        }
        GatewaySessionQueries.bind(tx, recordingId, gatewaySessionId);
    }

    /** Seals the active recording the gateway session names (a redelivered event finds it sealed: no change). */
    @Override
    public Optional<UUID> sealIfActive(UUID orgId, String gatewaySessionId, Instant endedAt) {
        Optional<UUID> id = db.inOrg(orgId, tx -> GatewaySessionQueries.recordingOf(tx, gatewaySessionId));
        id.ifPresent(recording -> sealing.sealEnded(orgId, recording, endedAt));
        return id;
    }
}
