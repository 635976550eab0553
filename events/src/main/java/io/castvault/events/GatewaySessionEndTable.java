package io.castvault.events;

import io.castvault.db.Database;
import io.castvault.db.GatewaySessionQueries;

import java.util.UUID;

/** The interim {@link SessionEndAudit}: table {@code gateway_session_ends} of migration V6. */
public final class GatewaySessionEndTable implements SessionEndAudit {
    private final Database db;

    public GatewaySessionEndTable(Database db) {
        this.db = db;
    }

    @Override
    public boolean record(SessionEndEvent e, UUID recordingId) {
        return db.inOrg(e.orgId(), tx -> GatewaySessionQueries.recordSessionEnd(tx, new GatewaySessionQueries.SessionEnd(
                e.sessionId(), e.userId(), e.deviceId(), recordingId, e.startTime(), e.endTime(), e.durationSeconds(),
                e.sourceIp(), e.reason())));
    }
}
