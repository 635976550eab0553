package io.castvault.db;

/** Per-org recording settings; an org without a row has the defaults. */
public record OrgSettings(boolean recordingEnabled, int retentionDays, String storageMode) {
    public static final OrgSettings DEFAULTS = new OrgSettings(false, 90, "platform");
}
