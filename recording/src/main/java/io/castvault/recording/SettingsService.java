package io.castvault.recording;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.CastvaultException;
import io.castvault.db.Database;
import io.castvault.db.LegalHoldQueries;
import io.castvault.db.OrgPolicy;
import io.castvault.db.OrgSettings;
import io.castvault.db.Role;
import io.castvault.db.SettingsQueries;
import io.castvault.db.StorageQueries;
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
    private final BlobStores stores;

    /** @param stores where custom stores are probed, sealed and cached (issue 18) */
    public SettingsService(Database db, BlobStores stores) {
        this.db = db;
        this.stores = stores;
    }

    /** Development only: a custom store may be on loopback or a private address. */
    public boolean allowsLocalEndpoints() {
        return stores.allowsPrivateEndpoints();
    }

    /** The org's configured custom store as {@code get_settings} shows it: no secret, the access key masked. */
    public java.util.Optional<CustomStorageView> customStorage(Caller caller) {
        return db.inOrg(caller.orgId(), StorageQueries::current).map(row -> new CustomStorageView(row.endpoint(),
                row.region(), row.bucket(), row.prefix(), row.pathStyle(), CustomStorage.mask(stores.open(row))));
    }

    public record CustomStorageView(String endpoint, String region, String bucket, String prefix, boolean pathStyle,
                                    String accessKeyMasked) {
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
                              Long auditRetentionDays, Boolean legalHold, CustomStorage custom) {
        caller.requireRole(Role.ADMIN);
        if (storageMode != null && !STORAGE_MODES.contains(storageMode)) {
            throw CastvaultException.invalid("storage_mode must be \"platform\" or \"custom\"");
        }
        if (custom != null && !"custom".equals(storageMode)) {
            throw CastvaultException.invalid("custom_storage is accepted only with storage_mode \"custom\"");
        }
        // the probe talks to the store before any transaction opens: a transaction never waits on a store
        StorageQueries.NewStore newStore = custom == null ? null : stores.probeAndSeal(caller.orgId(), custom);
        Integer days = retentionDays == null ? null
                : (int) Math.max(MIN_RETENTION_DAYS, Math.min(MAX_RETENTION_DAYS, retentionDays));
        Integer auditDays = auditRetentionDays == null ? null
                : (int) Math.max(MIN_AUDIT_RETENTION_DAYS, Math.min(MAX_AUDIT_RETENTION_DAYS, auditRetentionDays));
        OrgSettings result = db.inOrg(caller.orgId(), tx -> {
            ObjectNode before = Audit.settings(tx);
            if (newStore != null) {
                StorageQueries.setCurrent(tx, StorageQueries.save(tx, newStore));
            } else if ("custom".equals(storageMode) && StorageQueries.current(tx).isEmpty()) {
                throw CastvaultException.invalid("storage_mode \"custom\" needs custom_storage (endpoint, region, "
                        + "bucket, access_key, secret_key)");
            }
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
        if (newStore != null) {
            stores.forgetOrg(caller.orgId());
        }
        return result;
    }
}
