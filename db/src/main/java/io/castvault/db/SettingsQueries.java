package io.castvault.db;

import org.jooq.impl.DSL;

import static io.castvault.db.jooq.Tables.ORG_SETTINGS;

public final class SettingsQueries {
    private SettingsQueries() {
    }

    public static OrgSettings get(Tx tx) {
        return tx.dsl().select(ORG_SETTINGS.RECORDING_ENABLED, ORG_SETTINGS.RECORDING_RETENTION_DAYS,
                        ORG_SETTINGS.RECORDING_STORAGE_MODE)
                .from(ORG_SETTINGS).where(ORG_SETTINGS.ORG_ID.eq(tx.requireOrg()))
                .fetchOptional(r -> new OrgSettings(r.value1(), r.value2(), r.value3()))
                .orElse(OrgSettings.DEFAULTS);
    }

    /** Changes only the given (non-null) settings; creates the row with defaults when missing. */
    public static void update(Tx tx, Boolean enabled, Integer retentionDays, String storageMode) {
        OrgSettings d = OrgSettings.DEFAULTS;
        tx.dsl().insertInto(ORG_SETTINGS, ORG_SETTINGS.ORG_ID, ORG_SETTINGS.RECORDING_ENABLED,
                        ORG_SETTINGS.RECORDING_RETENTION_DAYS, ORG_SETTINGS.RECORDING_STORAGE_MODE)
                .values(tx.requireOrg(),
                        enabled != null ? enabled : d.recordingEnabled(),
                        retentionDays != null ? retentionDays : d.retentionDays(),
                        storageMode != null ? storageMode : d.storageMode())
                .onConflict(ORG_SETTINGS.ORG_ID).doUpdate()
                .set(ORG_SETTINGS.RECORDING_ENABLED, enabled != null ? DSL.val(enabled) : ORG_SETTINGS.RECORDING_ENABLED)
                .set(ORG_SETTINGS.RECORDING_RETENTION_DAYS,
                        retentionDays != null ? DSL.val(retentionDays) : ORG_SETTINGS.RECORDING_RETENTION_DAYS)
                .set(ORG_SETTINGS.RECORDING_STORAGE_MODE,
                        storageMode != null ? DSL.val(storageMode) : ORG_SETTINGS.RECORDING_STORAGE_MODE)
                .set(ORG_SETTINGS.UPDATED_AT, DSL.currentInstant())
                .execute();
    }
}
