package io.castvault.recording;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.CastvaultException;
import io.castvault.db.Database;
import io.castvault.db.LegalHoldQueries;
import io.castvault.db.OrgPolicy;
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
    public static final int MIN_AUDIT_RETENTION_DAYS = 1;
    public static final int MAX_AUDIT_RETENTION_DAYS = 3650;
    private static final Set<String> STORAGE_MODES = Set.of("platform", "custom");

    private final Database db;

    public SettingsService(Database db) {
        this.db = db;
    }

    public OrgSettings get(Caller caller) {
        return db.inOrg(caller.orgId(), SettingsQueries::get);
    }

    /** The audit retention and the org-wide legal hold (issue 15), shown with the other settings. */
    public OrgPolicy policy(Caller caller) {
        return db.inOrg(caller.orgId(), LegalHoldQueries::policy);
    }

    /**
     * Changes the given settings only; retention is clamped to 1..365 days, as the reference service does, and
     * audit retention to 1..3650.
     */
    public OrgSettings update(Caller caller, Boolean enabled, Long retentionDays, String storageMode,
                              Long auditRetentionDays, Boolean legalHold) {
        caller.requireRole(Role.ADMIN);
        if (storageMode != null && !STORAGE_MODES.contains(storageMode)) {
            throw CastvaultException.invalid("storage_mode must be \"platform\" or \"custom\"");
        }
        Integer days = retentionDays == null ? null
                : (int) Math.max(MIN_RETENTION_DAYS, Math.min(MAX_RETENTION_DAYS, retentionDays));
        Integer auditDays = auditRetentionDays == null ? null
                : (int) Math.max(MIN_AUDIT_RETENTION_DAYS, Math.min(MAX_AUDIT_RETENTION_DAYS, auditRetentionDays));
        return db.inOrg(caller.orgId(), tx -> {
            ObjectNode before = Audit.settings(tx);
            SettingsQueries.update(tx, enabled, days, storageMode);
            LegalHoldQueries.updatePolicy(tx, auditDays, legalHold);
            Audit.settingsChanged(tx, caller, before);
            OrgSettings after = SettingsQueries.get(tx);
            Outbox.append(tx, Events.settingsChanged(caller.orgId(), caller.userId(), after.recordingEnabled(),
                    after.retentionDays(), after.storageMode()));
            if (legalHold != null && legalHold != before.path("legal_hold").asBoolean()) {
                Outbox.append(tx, Events.legalHoldChanged(caller.orgId(), null, legalHold, null, caller.userId()));
            }
            return after;
        });
    }
}
