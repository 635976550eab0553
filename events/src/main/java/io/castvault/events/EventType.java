package io.castvault.events;

/**
 * The published event types and the version of each one's {@code data}. A change a consumer could trip over
 * (a field removed, renamed or given another meaning) raises the version; adding a field does not.
 */
public enum EventType {
    RECORDING_STARTED("recording.started", 1),
    RECORDING_SEALED("recording.sealed", 1),
    RECORDING_AUTO_COMPLETED("recording.auto_completed", 1),
    RECORDING_DELETED("recording.deleted", 1),
    RETENTION_COMPLETED("retention.completed", 1),
    SETTINGS_CHANGED("settings.changed", 1),
    LEGAL_HOLD_CHANGED("legal_hold.changed", 1),
    SIGNING_KEY_ROTATED("signing_key.rotated", 1);

    private final String wireName;
    private final int version;

    EventType(String wireName, int version) {
        this.wireName = wireName;
        this.version = version;
    }

    public String wireName() {
        return wireName;
    }

    public int version() {
        return version;
    }
}
