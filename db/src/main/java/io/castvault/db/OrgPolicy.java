package io.castvault.db;

/** The org settings of issue 15: how long the audit trail is kept, and the org-wide legal hold. */
public record OrgPolicy(int auditRetentionDays, boolean legalHold) {
    public static final OrgPolicy DEFAULTS = new OrgPolicy(365, false);
}
