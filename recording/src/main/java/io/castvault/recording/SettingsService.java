package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.db.Database;
import io.castvault.db.OrgSettings;
import io.castvault.db.Role;
import io.castvault.db.SettingsQueries;
import io.castvault.events.Events;
import io.castvault.events.Outbox;

import java.util.Set;

/** get_settings / update_settings (seed ST1). */
public final class SettingsService {
    public static final int MIN_RETENTION_DAYS = 1;
    public static final int MAX_RETENTION_DAYS = 365;
    private static final Set<String> STORAGE_MODES = Set.of("platform", "custom");

    private final Database db;

    public SettingsService(Database db) {
        this.db = db;
    }

    public OrgSettings get(Caller caller) {
        return db.inOrg(caller.orgId(), SettingsQueries::get);
    }

    /** Changes the given settings only; retention is clamped to 1..365 days, as the reference service does. */
    public OrgSettings update(Caller caller, Boolean enabled, Long retentionDays, String storageMode) {
        caller.requireRole(Role.ADMIN);
        if (storageMode != null && !STORAGE_MODES.contains(storageMode)) {
            throw CastvaultException.invalid("storage_mode must be \"platform\" or \"custom\"");
        }
        Integer days = retentionDays == null ? null
                : (int) Math.max(MIN_RETENTION_DAYS, Math.min(MAX_RETENTION_DAYS, retentionDays));
        return db.inOrg(caller.orgId(), tx -> {
            SettingsQueries.update(tx, enabled, days, storageMode);
            OrgSettings after = SettingsQueries.get(tx);
            Outbox.append(tx, Events.settingsChanged(caller.orgId(), caller.userId(), after.recordingEnabled(), after.retentionDays(), after.storageMode())); // issue 16 hook
            return after;
        });
    }
}
