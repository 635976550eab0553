package io.castvault.db;

import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.impl.DSL;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.AUDIT_LOG;
import static io.castvault.db.jooq.Tables.ORG_SETTINGS;
import static io.castvault.db.jooq.Tables.RECORDING_CHUNKS;

/**
 * The audit trail: appended inside the transaction of the change it records (so there is no change without
 * its entry), read newest first with keyset paging, verified along its per-org hash chain, and pruned.
 * Sequencing and hashing happen in PostgreSQL ({@code castvault_audit_append}, V5), so every writer, including
 * another instance or the admin CLI, extends the same chain the same way.
 */
public final class AuditLog {
    /** Findings beyond this are counted, not listed: a wholesale rewrite must not produce a huge answer. */
    public static final int MAX_FINDINGS = 100;
    private static final String ZERO_HASH = "0".repeat(64);
    /** SET LOCAL in the append's own expression: no round trip of its own (see {@link #appendUnflushed}) */
    private static final String UNFLUSHED = "(SELECT 0 FROM set_config('synchronous_commit', 'off', true)) + ";
    private static final Field<Long> ENTRY_ID = DSL.field(DSL.name("entry_id"), Long.class);
    private static final RenderedQuery APPEND = RenderedQuery.of(DSL.select(appendOfParams("").as(ENTRY_ID)));
    private static final RenderedQuery APPEND_UNFLUSHED = RenderedQuery.of(DSL.select(unflushedAppendOfParams().as(ENTRY_ID)));

    private AuditLog() {
    }

    /** Keyset position of the last entry of a page: entries strictly older than it come next. */
    public record Cursor(Instant occurredAt, long id) {
    }

    public record Finding(long seq, long id, String kind, String detail) {
    }

    public record Verification(boolean ok, long checked, long headSeq, String headHash, List<Finding> findings,
                               long findingCount) {
    }

    public record Pruned(UUID orgId, long removed, long throughSeq) {
    }

    /** The newest entry of the org's chain: what a signed digest carries, so cutting the newest entries shows. */
    public record Head(long seq, byte[] entryHash) {
    }

    public static Optional<Head> head(Tx tx) {
        return tx.dsl().select(AUDIT_LOG.SEQ, AUDIT_LOG.ENTRY_HASH).from(AUDIT_LOG)
                .where(AUDIT_LOG.ORG_ID.eq(tx.requireOrg()))
                .orderBy(AUDIT_LOG.SEQ.desc()).limit(1)
                .fetchOptional(r -> new Head(r.value1(), r.value2()));
    }

    public static long append(Tx tx, AuditEntry e) {
        return appendWith(tx, APPEND, e);
    }

    private static long appendWith(Tx tx, RenderedQuery query, AuditEntry e) {
        Map<String, Object> values = new HashMap<>();
        putAppendValues(values, e);
        return query.fetch(tx, values, row -> row.get(ENTRY_ID)).getFirst();
    }

    /**
     * The call of castvault_audit_append on parameters {@link #putAppendValues} gives values to; {@code prefix}:
     * SQL evaluated in the same expression, before the append (one round trip for both).
     */
    private static Field<Long> appendOfParams(String prefix) {
        return DSL.field(prefix + "castvault_audit_append({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11})",
                Long.class,
                RenderedQuery.param("a_org", UUID.class), RenderedQuery.param("a_actor_type", String.class),
                RenderedQuery.param("a_actor_id", UUID.class), RenderedQuery.param("a_actor_name", String.class),
                RenderedQuery.param("a_action", String.class), RenderedQuery.param("a_target_type", String.class),
                RenderedQuery.param("a_target_id", UUID.class), RenderedQuery.param("a_outcome", String.class),
                RenderedQuery.param("a_source_ip", String.class), RenderedQuery.param("a_user_agent", String.class),
                RenderedQuery.param("a_request_id", String.class), RenderedQuery.param("a_details", JSONB.class));
    }

    static void putAppendValues(Map<String, Object> values, AuditEntry e) {
        values.put("a_org", e.orgId());
        values.put("a_actor_type", e.actorType());
        values.put("a_actor_id", e.actorId());
        values.put("a_actor_name", e.actorName());
        values.put("a_action", e.action());
        values.put("a_target_type", e.targetType());
        values.put("a_target_id", e.targetId());
        values.put("a_outcome", e.outcome());
        values.put("a_source_ip", e.sourceIp());
        values.put("a_user_agent", e.userAgent());
        values.put("a_request_id", e.requestId());
        values.put("a_details", JSONB.valueOf(e.detailsJson() == null ? "{}" : e.detailsJson()));
    }

    /**
     * Appends one entry per target, all like {@code template} but for their org and target, in one statement: a
     * sweep marks thousands of recordings, and a round trip per entry would bound it. The entries are appended in
     * list order; callers sort by org, so concurrent sweepers take the chains' locks in the same order.
     */
    public static void appendEach(Tx tx, AuditEntry template, List<UUID> orgIds, List<UUID> targetIds) {
        if (orgIds.size() != targetIds.size()) {
            throw new IllegalArgumentException("one org per target");
        }
        if (orgIds.isEmpty()) {
            return;
        }
        AuditEntry e = template;
        // one call per org (migration V13), in the order of the orgs' first targets; ordinality keeps each org's
        // targets in list order
        long appended = tx.dsl().resultQuery("SELECT coalesce(sum(castvault_audit_append_each(g.org, g.targets, {2}, {3}, "
                        + "{4}, {5}, {6}, {7}, {8}, {9}, {10}, {11})), 0) FROM ("
                        + "SELECT t.org, array_agg(t.target ORDER BY t.ord) AS targets, min(t.ord) AS first "
                        + "FROM unnest({0}, {1}) WITH ORDINALITY AS t(org, target, ord) GROUP BY t.org ORDER BY first) AS g",
                DSL.val(orgIds.toArray(UUID[]::new)), DSL.val(targetIds.toArray(UUID[]::new)),
                DSL.val(e.actorType()), DSL.val(e.actorId(), UUID.class), DSL.val(e.actorName(), String.class),
                DSL.val(e.action()), DSL.val(e.targetType(), String.class), DSL.val(e.outcome()),
                DSL.val(e.sourceIp(), String.class), DSL.val(e.userAgent(), String.class),
                DSL.val(e.requestId(), String.class),
                DSL.val(JSONB.valueOf(e.detailsJson() == null ? "{}" : e.detailsJson()), JSONB.class))
                .fetchOne(0, Long.class);
        if (appended != orgIds.size()) {
            throw new IllegalStateException("appended " + appended + " audit entries of " + orgIds.size());
        }
    }

    /**
     * Appends the entry of a read or a refusal, which changes nothing else: its transaction commits without
     * waiting for the WAL flush, so recording a read costs no disk round trip. A database crash can lose the
     * last instant's such entries, only ever at the end of the chain (the next synchronous commit flushes
     * everything before it), never entries of changes, which commit with their change.
     */
    public static long appendUnflushed(Tx tx, AuditEntry e) {
        return appendWith(tx, APPEND_UNFLUSHED, e);
    }

    /**
     * {@link #appendUnflushed} as an expression on the parameters {@link #putAppendValues} gives values to, for a
     * read that appends its entry in the statement that reads ({@link RecordingQueries#statsRecordingRead}).
     */
    static Field<Long> unflushedAppendOfParams() {
        return appendOfParams(UNFLUSHED);
    }

    /** Up to {@code limit} entries of the transaction's org matching {@code filter}, newest first, after {@code after}. */
    public static List<AuditRow> page(Tx tx, AuditFilter filter, int limit, Cursor after) {
        var a = AUDIT_LOG;
        Condition c = a.ORG_ID.eq(tx.requireOrg());
        if (filter.since() != null) {
            c = c.and(a.OCCURRED_AT.ge(filter.since()));
        }
        if (filter.until() != null) {
            c = c.and(a.OCCURRED_AT.lt(filter.until()));
        }
        if (filter.actorId() != null) {
            c = c.and(a.ACTOR_ID.eq(filter.actorId()));
        }
        if (filter.action() != null) {
            c = c.and(a.ACTION.eq(filter.action()));
        }
        if (filter.sessionId() != null) {
            c = c.and(a.TARGET_ID.eq(filter.sessionId()));
        }
        if (filter.sourceIp() != null) {
            c = c.and(a.SOURCE_IP.eq(filter.sourceIp()));
        }
        if (filter.outcome() != null) {
            c = c.and(a.OUTCOME.eq(filter.outcome()));
        }
        if (after != null) {
            c = c.and(DSL.row(a.OCCURRED_AT, a.ID).lt(after.occurredAt(), after.id()));
        }
        return tx.dsl().selectFrom(a).where(c).orderBy(a.OCCURRED_AT.desc(), a.ID.desc()).limit(limit)
                .fetch(r -> new AuditRow(r.getId(), r.getSeq(), r.getOccurredAt(), r.getActorType(), r.getActorId(),
                        r.getActorName(), r.getAction(), r.getTargetType(), r.getTargetId(), r.getOutcome(),
                        r.getSourceIp(), r.getUserAgent(), r.getRequestId(), r.getDetails().data()));
    }

    /**
     * Walks the transaction's org chain in sequence order: each entry's stored hash must equal the hash of its
     * content, its {@code prev_hash} must be the previous entry's hash, and the sequence must have no gap. The
     * oldest remaining entry must be either the first ever (sequence 1, zero predecessor) or the successor the
     * last pruning recorded. Streams the rows (a cursor), so a long trail does not sit in memory.
     */
    public static Verification verify(Tx tx) {
        UUID org = tx.requireOrg();
        List<Finding> findings = new ArrayList<>();
        long[] count = {0, 0};
        long headSeq = 0;
        String headHash = null;
        String prevHash = null;
        long prevSeq = -1;
        try (var cursor = tx.dsl().resultQuery("""
                SELECT id, seq, encode(prev_hash, 'hex') AS prev, encode(entry_hash, 'hex') AS own,
                       entry_hash = castvault_audit_hash(a) AS content_ok
                FROM audit_log a WHERE org_id = ? ORDER BY seq""", org).fetchSize(1000).fetchLazy()) {
            for (Record r : cursor) {
                long id = r.get("id", Long.class);
                long seq = r.get("seq", Long.class);
                String prev = r.get("prev", String.class);
                String own = r.get("own", String.class);
                count[0]++;
                if (!r.get("content_ok", Boolean.class)) {
                    add(findings, count, new Finding(seq, id, "content_changed", "the entry's content does not match its hash"));
                }
                if (prevSeq < 0) {
                    Optional<String> reason = firstEntryProblem(tx, org, seq, prev);
                    if (reason.isPresent()) {
                        add(findings, count, new Finding(seq, id, "chain_start", reason.get()));
                    }
                } else {
                    if (seq != prevSeq + 1) {
                        add(findings, count, new Finding(seq, id, "entries_missing",
                                "entries " + (prevSeq + 1) + ".." + (seq - 1) + " are missing"));
                    }
                    if (!prev.equals(prevHash)) {
                        add(findings, count, new Finding(seq, id, "chain_broken",
                                "prev_hash does not match the hash of the entry before it"));
                    }
                }
                prevSeq = seq;
                prevHash = own;
                headSeq = seq;
                headHash = own;
            }
        }
        return new Verification(count[1] == 0, count[0], headSeq, headHash, List.copyOf(findings), count[1]);
    }

    private static void add(List<Finding> findings, long[] count, Finding f) {
        count[1]++;
        if (findings.size() < MAX_FINDINGS) {
            findings.add(f);
        }
    }

    private static Optional<String> firstEntryProblem(Tx tx, UUID org, long seq, String prev) {
        if (seq == 1) {
            return ZERO_HASH.equals(prev) ? Optional.empty() : Optional.of("the first entry names a predecessor");
        }
        boolean pruned = tx.dsl().fetchExists(DSL.selectOne().from(AUDIT_LOG)
                .where(AUDIT_LOG.ORG_ID.eq(org)).and(AUDIT_LOG.ACTION.eq(PRUNE_ACTION))
                .and(DSL.field("details->>'through_seq'", String.class).eq(String.valueOf(seq - 1)))
                .and(DSL.field("details->>'through_hash'", String.class).eq(prev)));
        return pruned ? Optional.empty()
                : Optional.of("entries before " + seq + " are gone and no pruning accounts for them");
    }

    public static final String PRUNE_ACTION = "audit_prune";

    /** What a recording received: the chunk count, and the first and last chunk (index, arrival time). */
    public record ChunkSpan(long count, Integer firstIndex, Instant firstAt, Integer lastIndex, Instant lastAt) {
    }

    public static ChunkSpan chunkSpan(Tx tx, UUID recordingId) {
        var c = RECORDING_CHUNKS;
        return tx.dsl().select(DSL.count(), DSL.min(c.CHUNK_INDEX), DSL.min(c.CREATED_AT), DSL.max(c.CHUNK_INDEX),
                        DSL.max(c.CREATED_AT))
                .from(c).where(c.RECORDING_ID.eq(recordingId))
                .fetchOne(r -> new ChunkSpan(r.value1(), r.value2(), r.value3(), r.value4(), r.value5()));
    }

    /** Orgs (null: the org-less chain) with entries older than a day, the shortest retention; across orgs. */
    public static List<UUID> orgsWithOldEntries(Tx tx) {
        return tx.dsl().selectDistinct(AUDIT_LOG.ORG_ID).from(AUDIT_LOG)
                .where(AUDIT_LOG.OCCURRED_AT.lt(DSL.field("now() - interval '1 day'", Instant.class)))
                .fetch(AUDIT_LOG.ORG_ID);
    }

    /**
     * Removes the org's entries older than its {@code audit_retention_days} (a prefix of its chain), then
     * appends the pruning's own entry, which names the last removed entry so {@code verify} can tell pruning
     * from tampering. {@code org} null prunes the org-less chain with the default retention. Needs a
     * transaction that sees the org (its own, or all orgs).
     */
    public static Optional<Pruned> prune(Tx tx, UUID org) {
        var a = AUDIT_LOG;
        Condition ofOrg = org == null ? a.ORG_ID.isNull() : a.ORG_ID.eq(org);
        int days = org == null ? OrgPolicy.DEFAULTS.auditRetentionDays()
                : tx.dsl().select(ORG_SETTINGS.AUDIT_RETENTION_DAYS).from(ORG_SETTINGS).where(ORG_SETTINGS.ORG_ID.eq(org))
                        .fetchOptional(ORG_SETTINGS.AUDIT_RETENTION_DAYS).orElse(OrgPolicy.DEFAULTS.auditRetentionDays());
        // the chain's appenders wait while it is cut, so the head cannot move under the pruning
        tx.dsl().execute("SELECT pg_advisory_xact_lock(hashtextextended('castvault.audit:' || coalesce({0}::text, '-'), 0))",
                DSL.val(org, UUID.class));
        Record last = tx.dsl().select(a.SEQ, DSL.field("encode({0}, 'hex')", String.class, a.ENTRY_HASH).as("hash"))
                .from(a).where(ofOrg)
                .and(a.OCCURRED_AT.lt(DSL.field("now() - make_interval(days => {0})", Instant.class, DSL.val(days))))
                .orderBy(a.SEQ.desc()).limit(1).fetchOne();
        if (last == null) {
            return Optional.empty();
        }
        long through = last.get(a.SEQ);
        tx.dsl().execute("SELECT set_config('castvault.audit_prune', 'on', true)");
        int removed = tx.dsl().deleteFrom(a).where(ofOrg).and(a.SEQ.le(through)).execute();
        tx.dsl().execute("SELECT set_config('castvault.audit_prune', '', true)");
        String details = "{\"retention_days\":" + days + ",\"removed\":" + removed + ",\"through_seq\":" + through
                + ",\"through_hash\":\"" + last.get("hash", String.class) + "\"}";
        append(tx, new AuditEntry(org, "system", null, "system", PRUNE_ACTION, "audit", null, AuditEntry.OK,
                null, null, null, details));
        return Optional.of(new Pruned(org, removed, through));
    }
}
