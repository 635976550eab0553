package io.castvault.db;

import org.jooq.Field;
import org.jooq.impl.DSL;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.ORG_SETTINGS;
import static io.castvault.db.jooq.Tables.SESSION_RECORDINGS;

/** Legal holds (per recording and org-wide) and the audit retention setting. */
public final class LegalHoldQueries {
    private LegalHoldQueries() {
    }

    /** A recording's hold as a deletion must respect it: its own, or its org's. */
    public record Hold(boolean recording, String reason, boolean org) {
        public boolean held() {
            return recording || org;
        }
    }

    public static OrgPolicy policy(Tx tx) {
        return tx.dsl().select(ORG_SETTINGS.AUDIT_RETENTION_DAYS, ORG_SETTINGS.LEGAL_HOLD).from(ORG_SETTINGS)
                .where(ORG_SETTINGS.ORG_ID.eq(tx.requireOrg()))
                .fetchOptional(r -> new OrgPolicy(r.value1(), r.value2()))
                .orElse(OrgPolicy.DEFAULTS);
    }

    /** Changes only the given (non-null) values; creates the settings row with defaults when missing. */
    public static void updatePolicy(Tx tx, Integer auditRetentionDays, Boolean legalHold) {
        if (auditRetentionDays == null && legalHold == null) {
            return;
        }
        OrgPolicy d = OrgPolicy.DEFAULTS;
        tx.dsl().insertInto(ORG_SETTINGS, ORG_SETTINGS.ORG_ID, ORG_SETTINGS.AUDIT_RETENTION_DAYS, ORG_SETTINGS.LEGAL_HOLD)
                .values(tx.requireOrg(), auditRetentionDays != null ? auditRetentionDays : d.auditRetentionDays(),
                        legalHold != null ? legalHold : d.legalHold())
                .onConflict(ORG_SETTINGS.ORG_ID).doUpdate()
                .set(ORG_SETTINGS.AUDIT_RETENTION_DAYS,
                        auditRetentionDays != null ? DSL.val(auditRetentionDays) : ORG_SETTINGS.AUDIT_RETENTION_DAYS)
                .set(ORG_SETTINGS.LEGAL_HOLD, legalHold != null ? DSL.val(legalHold) : ORG_SETTINGS.LEGAL_HOLD)
                .set(ORG_SETTINGS.UPDATED_AT, DSL.currentInstant())
                .execute();
    }

    /** The hold of a visible recording, read under a row lock so a concurrent hold change waits; empty when unknown. */
    public static Optional<Hold> lockHold(Tx tx, UUID recordingId) {
        var r = SESSION_RECORDINGS;
        Optional<Hold> own = tx.dsl().select(r.LEGAL_HOLD, r.LEGAL_HOLD_REASON).from(r)
                .where(r.ORG_ID.eq(tx.requireOrg())).and(r.ID.eq(recordingId)).and(r.STATUS.ne(RecordingQueries.DELETING))
                .forUpdate()
                .fetchOptional(x -> new Hold(x.value1(), x.value2(), false));
        return own.map(h -> new Hold(h.recording(), h.reason(), policy(tx).legalHold()));
    }

    /** Sets or releases a recording's hold; the caller has locked the row with {@link #lockHold}. */
    public static void setHold(Tx tx, UUID recordingId, boolean hold, String reason) {
        tx.dsl().update(SESSION_RECORDINGS)
                .set(SESSION_RECORDINGS.LEGAL_HOLD, hold)
                .set(SESSION_RECORDINGS.LEGAL_HOLD_REASON, hold ? reason : null)
                .where(SESSION_RECORDINGS.ORG_ID.eq(tx.requireOrg())).and(SESSION_RECORDINGS.ID.eq(recordingId))
                .execute();
    }

    /**
     * How many recordings are past retention but kept by a hold (cleanup and the sweep report them as held): the
     * transaction's org, or every org in an all-orgs transaction.
     */
    public static int countExpiredHeld(Tx tx) {
        var r = SESSION_RECORDINGS;
        Field<Integer> retention = DSL.coalesce(ORG_SETTINGS.RECORDING_RETENTION_DAYS,
                DSL.inline(OrgSettings.DEFAULTS.retentionDays()));
        return tx.dsl().fetchCount(DSL.selectOne().from(r).leftJoin(ORG_SETTINGS).on(ORG_SETTINGS.ORG_ID.eq(r.ORG_ID))
                .where(tx.orgId().map(r.ORG_ID::eq).orElse(DSL.trueCondition())).and(r.STATUS.ne(RecordingQueries.DELETING))
                .and(r.LEGAL_HOLD.isTrue().or(ORG_SETTINGS.LEGAL_HOLD.isTrue()))
                .and(r.STARTED_AT.lt(DSL.field("now() - make_interval(days => {0})", Instant.class, retention))));
    }
}
