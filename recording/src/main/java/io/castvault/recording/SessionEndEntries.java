package io.castvault.recording;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.db.Database;
import io.castvault.db.GatewaySessionQueries;
import io.castvault.events.SessionEndAudit;
import io.castvault.events.SessionEndEvent;

import java.util.UUID;

/**
 * A gateway's session end (seed 003) as an {@code ssh_session_end} entry of the audit trail, by the system, with the
 * session's duration. The row of {@code gateway_session_ends} written in the same transaction makes a redelivered
 * event change nothing.
 */
public final class SessionEndEntries implements SessionEndAudit {
    static final String ACTION = "ssh_session_end";

    private final Database db;

    public SessionEndEntries(Database db) {
        this.db = db;
    }

    @Override
    public boolean record(SessionEndEvent e, UUID recordingId) {
        return db.inOrg(e.orgId(), tx -> {
            if (!GatewaySessionQueries.recordSessionEnd(tx, new GatewaySessionQueries.SessionEnd(e.sessionId(),
                    e.userId(), e.deviceId(), recordingId, e.startTime(), e.endTime(), e.durationSeconds(),
                    e.sourceIp(), e.reason()))) {
                return false;
            }
            ObjectNode d = Json.MAPPER.createObjectNode();
            d.put("gateway_session_id", e.sessionId());
            d.put("user_id", e.userId() == null ? null : e.userId().toString());
            d.put("device_id", e.deviceId() == null ? null : e.deviceId().toString());
            d.put("start_time", e.startTime() == null ? null : e.startTime().toString());
            d.put("end_time", e.endTime() == null ? null : e.endTime().toString());
            if (e.durationSeconds() != null) {
                Json.putNumber(d, "duration_seconds", e.durationSeconds());
            }
            d.put("source_ip", e.sourceIp());
            d.put("reason", e.reason());
            Audit.system(tx, e.orgId(), ACTION, recordingId == null ? Audit.Target.NONE : Audit.Target.recording(recordingId), d);
            return true;
        });
    }
}
