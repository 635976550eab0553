package io.castvault.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.UUID;

/**
 * Builders of every event, one per type, so that the payloads match the schema in one place. Times are
 * ISO-8601 UTC strings; ids are UUID strings; absent optional values are JSON null, never missing.
 */
public final class Events {
    static final ObjectMapper JSON = new ObjectMapper();

    private Events() {
    }

    public static Event recordingStarted(UUID orgId, UUID recordingId, UUID machineId, UUID userId, String sessionType,
                                         Instant startedAt, String gatewaySessionId) {
        ObjectNode d = data(recordingId);
        d.put("machine_id", str(machineId));
        d.put("user_id", str(userId));
        d.put("session_type", sessionType);
        d.put("started_at", str(startedAt));
        d.put("gateway_session_id", gatewaySessionId);
        return new Event(UUID.randomUUID(), orgId, EventType.RECORDING_STARTED, d);
    }

    /**
     * A recording sealed by {@code complete}, agent ingest or the gateway's session end ({@code autoCompleted}
     * false), or by the abandonment sweeper ({@code autoCompleted} true, type {@code recording.auto_completed}).
     * {@code gaps} are the chunk indexes missing below the highest one received.
     */
    public static Event recordingSealed(UUID orgId, UUID recordingId, String recordingSha256, long bytes,
                                        ArrayNode gaps, int chunks, double durationSeconds,
                                        String summaryKey, boolean autoCompleted) {
        ObjectNode d = data(recordingId);
        d.put("recording_sha256", recordingSha256);
        d.put("bytes", bytes);
        d.set("gaps", gaps.deepCopy());
        d.put("chunks", chunks);
        d.put("duration_seconds", durationSeconds);
        d.put("summary_key", summaryKey);
        return new Event(UUID.randomUUID(), orgId,
                autoCompleted ? EventType.RECORDING_AUTO_COMPLETED : EventType.RECORDING_SEALED, d);
    }

    public enum DeleteReason {
        /** the delete action of an admin ({@code actor_id} is set) */
        ADMIN,
        /** the org's retention expired it (sweeper or the cleanup action) */
        RETENTION;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Published when the recording disappears from every read; its objects and row go right after. */
    public static Event recordingDeleted(UUID orgId, UUID recordingId, DeleteReason reason, UUID actorId) {
        ObjectNode d = data(recordingId);
        d.put("reason", reason.wireName());
        d.put("actor_id", str(actorId));
        return new Event(UUID.randomUUID(), orgId, EventType.RECORDING_DELETED, d);
    }

    /** {@code trigger}: "sweep" (the scheduled job) or "cleanup" (the action; {@code actorId} set). */
    public static Event retentionCompleted(UUID orgId, String trigger, UUID actorId, int recordingsExpired) {
        ObjectNode d = JSON.createObjectNode();
        d.put("trigger", trigger);
        d.put("actor_id", str(actorId));
        d.put("recordings_expired", recordingsExpired);
        return new Event(UUID.randomUUID(), orgId, EventType.RETENTION_COMPLETED, d);
    }

    /** The settings after the change. */
    public static Event settingsChanged(UUID orgId, UUID actorId, boolean recordingEnabled, int retentionDays,
                                        String storageMode) {
        ObjectNode d = JSON.createObjectNode();
        d.put("actor_id", str(actorId));
        d.put("recording_enabled", recordingEnabled);
        d.put("retention_days", retentionDays);
        d.put("storage_mode", storageMode);
        return new Event(UUID.randomUUID(), orgId, EventType.SETTINGS_CHANGED, d);
    }

    /** For the legal hold of issue 15: {@code recordingId} null means the org-wide hold. */
    public static Event legalHoldChanged(UUID orgId, UUID recordingId, boolean hold, String reason, UUID actorId) {
        ObjectNode d = JSON.createObjectNode();
        d.put("recording_id", str(recordingId));
        d.put("hold", hold);
        d.put("reason", reason);
        d.put("actor_id", str(actorId));
        return new Event(UUID.randomUUID(), orgId, EventType.LEGAL_HOLD_CHANGED, d);
    }

    /** For the signing keys of issue 14; {@code previousFingerprint} null for an org's first key. */
    public static Event signingKeyRotated(UUID orgId, String fingerprint, String previousFingerprint, UUID actorId) {
        ObjectNode d = JSON.createObjectNode();
        d.put("fingerprint", fingerprint);
        d.put("previous_fingerprint", previousFingerprint);
        d.put("actor_id", str(actorId));
        return new Event(UUID.randomUUID(), orgId, EventType.SIGNING_KEY_ROTATED, d);
    }

    private static ObjectNode data(UUID recordingId) {
        ObjectNode d = JSON.createObjectNode();
        d.put("recording_id", recordingId.toString());
        return d;
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }
}
