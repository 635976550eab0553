package io.castvault.db;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.GATEWAY_SESSION_ENDS;
import static io.castvault.db.jooq.Tables.SESSION_RECORDINGS;

/** The gateway's view of recordings: its session id on a recording, and the session-end entries (seed 003). */
public final class GatewaySessionQueries {
    private GatewaySessionQueries() {
    }

    /** True when another recording of the org already carries this gateway session id. */
    public static boolean isTaken(Tx tx, String gatewaySessionId) {
        return tx.dsl().fetchExists(SESSION_RECORDINGS, SESSION_RECORDINGS.ORG_ID.eq(tx.requireOrg())
                .and(SESSION_RECORDINGS.GATEWAY_SESSION_ID.eq(gatewaySessionId)));
    }

    public static void bind(Tx tx, UUID recordingId, String gatewaySessionId) {
        tx.dsl().update(SESSION_RECORDINGS)
                .set(SESSION_RECORDINGS.GATEWAY_SESSION_ID, gatewaySessionId)
                .where(SESSION_RECORDINGS.ORG_ID.eq(tx.requireOrg()).and(SESSION_RECORDINGS.ID.eq(recordingId)))
                .execute();
    }

    /** The recording the gateway session names, whatever its status. */
    public static Optional<UUID> recordingOf(Tx tx, String gatewaySessionId) {
        return tx.dsl().select(SESSION_RECORDINGS.ID).from(SESSION_RECORDINGS)
                .where(SESSION_RECORDINGS.ORG_ID.eq(tx.requireOrg())
                        .and(SESSION_RECORDINGS.GATEWAY_SESSION_ID.eq(gatewaySessionId)))
                .fetchOptional(SESSION_RECORDINGS.ID);
    }

    /** The gateway knows when its session ended better than the moment its event reached us. */
    public static void setEndedAt(Tx tx, UUID recordingId, Instant endedAt) {
        tx.dsl().update(SESSION_RECORDINGS)
                .set(SESSION_RECORDINGS.ENDED_AT, endedAt)
                .where(SESSION_RECORDINGS.ORG_ID.eq(tx.requireOrg()).and(SESSION_RECORDINGS.ID.eq(recordingId)))
                .execute();
    }

    public record SessionEnd(String sessionId, UUID userId, UUID deviceId, UUID recordingId, Instant startTime,
                             Instant endTime, Double durationSeconds, String sourceIp, String reason) {
    }

    /** Records a session end once; false when this session's end was already recorded (a redelivery). */
    public static boolean recordSessionEnd(Tx tx, SessionEnd e) {
        var g = GATEWAY_SESSION_ENDS;
        return tx.dsl().insertInto(g)
                .set(g.ORG_ID, tx.requireOrg())
                .set(g.SESSION_ID, e.sessionId())
                .set(g.USER_ID, e.userId())
                .set(g.DEVICE_ID, e.deviceId())
                .set(g.RECORDING_ID, e.recordingId())
                .set(g.START_TIME, e.startTime())
                .set(g.END_TIME, e.endTime())
                .set(g.DURATION_SECONDS, e.durationSeconds())
                .set(g.SOURCE_IP, e.sourceIp())
                .set(g.REASON, e.reason())
                .onConflictDoNothing()
                .execute() == 1;
    }

    public static Optional<SessionEnd> findSessionEnd(Tx tx, String sessionId) {
        var g = GATEWAY_SESSION_ENDS;
        return tx.dsl().selectFrom(g).where(g.ORG_ID.eq(tx.requireOrg()).and(g.SESSION_ID.eq(sessionId)))
                .fetchOptional(r -> new SessionEnd(r.getSessionId(), r.getUserId(), r.getDeviceId(), r.getRecordingId(),
                        r.getStartTime(), r.getEndTime(), r.getDurationSeconds(), r.getSourceIp(), r.getReason()));
    }

    /** How many session ends the org has recorded. */
    public static int sessionEnds(Tx tx) {
        return tx.dsl().fetchCount(GATEWAY_SESSION_ENDS, GATEWAY_SESSION_ENDS.ORG_ID.eq(tx.requireOrg()));
    }
}
