package io.castvault.db;

import io.castvault.core.model.Recording;

import io.castvault.core.model.Chunk;
import io.castvault.core.model.RecordingStatus;

import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record3;
import org.jooq.ResultQuery;
import org.jooq.Table;
import org.jooq.impl.DSL;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static io.castvault.db.jooq.Tables.MACHINES;
import static io.castvault.db.jooq.Tables.ORG_SETTINGS;
import static io.castvault.db.jooq.Tables.RECORDING_CHUNKS;
import static io.castvault.db.jooq.Tables.RECORDING_STATS;
import static io.castvault.db.jooq.Tables.SESSION_RECORDINGS;

/** Recordings and their chunks. Reads never return a recording whose status is {@code deleting}. */
public final class RecordingQueries {
    static final String ACTIVE = RecordingStatus.ACTIVE.dbValue();
    static final String COMPLETED = RecordingStatus.COMPLETED.dbValue();
    static final String DELETING = RecordingStatus.DELETING.dbValue();
    static final String PENDING = "pending";
    static final String STORED = "stored";

    private static final Field<Long> CHUNK_COUNT = DSL.field(DSL.name("chunk_count"), Long.class);
    private static final Field<Long> BYTE_COUNT = DSL.field(DSL.name("byte_count"), Long.class);
    private static final Field<BigDecimal> RECORDINGS = DSL.field(DSL.name("recordings"), BigDecimal.class);
    private static final Field<BigDecimal> TOTAL_DURATION = DSL.field(DSL.name("total_duration"), BigDecimal.class);
    private static final Field<Long> AUDIT_ID = DSL.field(DSL.name("audit_id"), Long.class);
    /** list's pages and stats, rendered once per shape (see {@link RenderedQuery}) */
    private static final Map<PageShape, RenderedQuery> PAGES = new ConcurrentHashMap<>();
    private static final Map<StatsShape, RenderedQuery> STATS = new ConcurrentHashMap<>();
    private static final RenderedQuery FIND = RenderedQuery.of(withDetails(
            DSL.select(SESSION_RECORDINGS.ID).from(SESSION_RECORDINGS)
                    .where(SESSION_RECORDINGS.ORG_ID.eq(RenderedQuery.param("org", UUID.class)))
                    .and(SESSION_RECORDINGS.ID.eq(RenderedQuery.param("id", UUID.class)))
                    .and(SESSION_RECORDINGS.STATUS.ne(DSL.inline(DELETING)))
                    .asTable("page")));

    private RecordingQueries() {
    }

    public record NewRecording(UUID id, UUID machineId, UUID userId, String sessionType, RecordingStatus status,
                               String metadataJson) {
    }

    public static Instant insert(Tx tx, NewRecording r) {
        return tx.dsl().insertInto(SESSION_RECORDINGS)
                .set(SESSION_RECORDINGS.ID, r.id())
                .set(SESSION_RECORDINGS.ORG_ID, tx.requireOrg())
                .set(SESSION_RECORDINGS.MACHINE_ID, r.machineId())
                .set(SESSION_RECORDINGS.USER_ID, r.userId())
                .set(SESSION_RECORDINGS.SESSION_TYPE, r.sessionType())
                .set(SESSION_RECORDINGS.STATUS, r.status().dbValue())
                .set(SESSION_RECORDINGS.METADATA, JSONB.valueOf(r.metadataJson()))
                .returning(SESSION_RECORDINGS.STARTED_AT)
                .fetchOne(SESSION_RECORDINGS.STARTED_AT);
    }

    /** The recording with its machine name and chunk totals, unless it is unknown or being deleted. */
    public static Optional<Recording> find(Tx tx, UUID id) {
        Map<String, Object> values = new HashMap<>();
        values.put("org", tx.requireOrg());
        values.put("id", id);
        return FIND.fetch(tx, values, RecordingQueries::row).stream().findFirst();
    }

    /**
     * Locks the recording row: {@code exclusive} for state changes (complete, delete), shared for chunk uploads,
     * which may run in parallel with each other but not with a state change. Returns the status and owner.
     */
    public static Optional<LockedRecording> lock(Tx tx, UUID id, boolean exclusive) {
        var select = tx.dsl().select(SESSION_RECORDINGS.STATUS, SESSION_RECORDINGS.USER_ID, SESSION_RECORDINGS.STARTED_AT)
                .from(SESSION_RECORDINGS)
                .where(SESSION_RECORDINGS.ORG_ID.eq(tx.requireOrg()).and(SESSION_RECORDINGS.ID.eq(id)));
        Record3<String, UUID, Instant> row = exclusive ? select.forUpdate().fetchOne() : select.forShare().fetchOne();
        return Optional.ofNullable(row).map(r -> new LockedRecording(id, RecordingStatus.of(r.value1()), r.value2(), r.value3()));
    }

    public record LockedRecording(UUID id, RecordingStatus status, UUID userId, Instant startedAt) {
    }

    public static void insertChunk(Tx tx, UUID recordingId, Chunk c) {
        tx.dsl().insertInto(RECORDING_CHUNKS)
                .set(RECORDING_CHUNKS.RECORDING_ID, recordingId)
                .set(RECORDING_CHUNKS.ORG_ID, tx.requireOrg())
                .set(RECORDING_CHUNKS.CHUNK_INDEX, c.index())
                .set(RECORDING_CHUNKS.SHA256, c.sha256())
                .set(RECORDING_CHUNKS.BYTE_LENGTH, c.byteLength())
                .set(RECORDING_CHUNKS.EVENT_COUNT, c.eventCount())
                .set(RECORDING_CHUNKS.LAST_EVENT_TIME, c.lastEventTime())
                .set(RECORDING_CHUNKS.HAS_HEADER, c.hasHeader())
                .set(RECORDING_CHUNKS.STATE, c.stored() ? STORED : PENDING)
                .execute();
    }

    /** The acknowledged chunks, in index order (claims not yet stored are not part of the recording). */
    public static List<Chunk> chunks(Tx tx, UUID recordingId) {
        return tx.dsl().selectFrom(RECORDING_CHUNKS)
                .where(RECORDING_CHUNKS.RECORDING_ID.eq(recordingId)).and(RECORDING_CHUNKS.STATE.eq(STORED))
                .orderBy(RECORDING_CHUNKS.CHUNK_INDEX)
                .fetch(RecordingQueries::chunk);
    }

    /** Position in the list's order (newest {@code started_at} first, then {@code id}): the last row of a page. */
    public record ListPosition(Instant startedAt, UUID id) {
    }

    /**
     * Up to {@code limit} recordings in list order, skipping {@code offset} rows and, with {@code after}, every row
     * up to and including that position; {@code after} is a keyset seek on the list indexes of migration V1, so a
     * page at any depth costs what the first page costs.
     */
    public static List<Recording> list(Tx tx, RecordingFilter filter, int limit, int offset, ListPosition after) {
        PageShape shape = new PageShape(filter.machineId() != null, filter.status() != null, after != null);
        Map<String, Object> values = filterValues(tx, filter);
        values.put("after_started", after == null ? null : after.startedAt());
        values.put("after_id", after == null ? null : after.id());
        values.put("limit", limit);
        values.put("offset", offset);
        return RenderedQuery.cached(PAGES, shape, () -> pageQuery(shape)).fetch(tx, values, RecordingQueries::row);
    }

    /** The values of the org and filter parameters that list's page and stats queries share. */
    private static Map<String, Object> filterValues(Tx tx, RecordingFilter filter) {
        Map<String, Object> values = new HashMap<>();
        values.put("org", tx.requireOrg());
        values.put("machine", filter.machineId());
        values.put("status", filter.status() == null ? null : filter.status().dbValue());
        return values;
    }

    /** What changes the SQL text of a {@code list} page: which filters are given. */
    private record PageShape(boolean machine, boolean status, boolean after) {
    }

    private static ResultQuery<?> pageQuery(PageShape shape) {
        var r = SESSION_RECORDINGS;
        Condition c = r.ORG_ID.eq(RenderedQuery.param("org", UUID.class)).and(r.STATUS.ne(DSL.inline(DELETING)));
        if (shape.machine()) {
            c = c.and(r.MACHINE_ID.eq(RenderedQuery.param("machine", UUID.class)));
        }
        if (shape.status()) {
            c = c.and(r.STATUS.eq(RenderedQuery.param("status", String.class)));
        }
        if (shape.after()) {
            c = c.and(DSL.row(r.STARTED_AT, r.ID).lt(RenderedQuery.param("after_started", Instant.class),
                    RenderedQuery.param("after_id", UUID.class)));
        }
        return withDetails(DSL.select(r.ID).from(r)
                .where(c)
                .orderBy(r.STARTED_AT.desc(), r.ID.desc())
                .limit(RenderedQuery.param("limit", Integer.class)).offset(RenderedQuery.param("offset", Integer.class))
                .asTable("page"));
    }

    /**
     * Per-status count and total duration over every recording matching the filter (not just one page), read from
     * the counters the triggers of migration V2 keep, so its cost does not grow with the org's recordings; and, in
     * the same statement, the read's audit entry {@code read} appended (see {@link AuditLog#appendUnflushed}):
     * {@code list} records itself without a round trip of its own. The entry is the outer side of the join, so it
     * is appended exactly once even when no recording matches (a subquery with a volatile function is not flattened
     * into the query around it); that is also why it comes last in {@code list}: the chain's lock is then held for
     * this statement's aggregate and the commit only.
     */
    public static List<StatusStats> statsRecordingRead(Tx tx, RecordingFilter filter, AuditEntry read) {
        StatsShape shape = new StatsShape(filter.machineId() != null, filter.status() != null);
        Map<String, Object> values = filterValues(tx, filter);
        AuditLog.putAppendValues(values, read);
        // the one row of an org without matching recordings has the entry's id and no status
        return RenderedQuery.cached(STATS, shape, () -> statsQuery(shape)).fetch(tx, values, row -> {
            String status = row.get(RECORDING_STATS.STATUS);
            return status == null ? null : new StatusStats(RecordingStatus.of(status), row.get(RECORDINGS).longValue(),
                    row.get(TOTAL_DURATION).doubleValue());
        }).stream().filter(Objects::nonNull).toList();
    }

    /** What changes the SQL text of list's stats: which filters are given. */
    private record StatsShape(boolean machine, boolean status) {
    }

    private static ResultQuery<?> statsQuery(StatsShape shape) {
        var s = RECORDING_STATS;
        Condition c = s.ORG_ID.eq(RenderedQuery.param("org", UUID.class)).and(s.STATUS.ne(DSL.inline(DELETING)));
        if (shape.machine()) {
            c = c.and(s.MACHINE_ID.eq(RenderedQuery.param("machine", UUID.class)));
        }
        if (shape.status()) {
            c = c.and(s.STATUS.eq(RenderedQuery.param("status", String.class)));
        }
        Field<BigDecimal> count = DSL.sum(s.RECORDINGS);
        Table<?> stats = DSL.select(s.STATUS, count.as(RECORDINGS), DSL.sum(s.TOTAL_DURATION).as(TOTAL_DURATION))
                .from(s)
                .where(c)
                .groupBy(s.STATUS)
                .having(count.gt(DSL.inline(BigDecimal.ZERO)))
                .asTable("stats");
        Table<?> audit = DSL.select(AuditLog.unflushedAppendOfParams().as(AUDIT_ID)).asTable("audit");
        Field<String> status = stats.field(s.STATUS);
        return DSL.select(audit.field(AUDIT_ID), status, stats.field(RECORDINGS), stats.field(TOTAL_DURATION))
                .from(audit)
                .leftJoin(stats).on(DSL.trueCondition())
                .orderBy(status.desc());
    }

    /** Joins machine names and chunk totals onto a page of ids; only the page's rows are looked up. */
    private static ResultQuery<?> withDetails(Table<?> page) {
        Field<UUID> pageId = page.field(SESSION_RECORDINGS.ID);
        var r = SESSION_RECORDINGS;
        Table<?> totals = DSL.select(DSL.count().cast(Long.class).as(CHUNK_COUNT),
                        DSL.coalesce(DSL.sum(RECORDING_CHUNKS.BYTE_LENGTH), DSL.inline(BigDecimal.ZERO)).cast(Long.class).as(BYTE_COUNT))
                .from(RECORDING_CHUNKS).where(RECORDING_CHUNKS.RECORDING_ID.eq(r.ID)).and(RECORDING_CHUNKS.STATE.eq(DSL.inline(STORED)))
                .asTable("totals");
        return DSL.select(r.ID, r.ORG_ID, r.MACHINE_ID, r.USER_ID, r.SESSION_TYPE, r.STATUS, r.STARTED_AT,
                        r.ENDED_AT, r.DURATION_SECONDS, r.METADATA, r.R2_KEY, r.SEALED, r.LEGAL_HOLD,
                        r.LEGAL_HOLD_REASON, r.STORE_ID, MACHINES.NAME,
                        totals.field(CHUNK_COUNT), totals.field(BYTE_COUNT))
                .from(page)
                .join(r).on(r.ID.eq(pageId))
                .leftJoin(MACHINES).on(MACHINES.ID.eq(r.MACHINE_ID))
                .crossJoin(DSL.lateral(totals))
                .orderBy(r.STARTED_AT.desc(), r.ID.desc());
    }

    /** One row of {@link #withDetails}. */
    private static Recording row(RenderedQuery.Row rec) throws SQLException {
        var r = SESSION_RECORDINGS;
        return new Recording(rec.get(r.ID), rec.get(r.ORG_ID), rec.get(r.MACHINE_ID), rec.get(r.USER_ID),
                rec.get(r.SESSION_TYPE), RecordingStatus.of(rec.get(r.STATUS)), rec.get(r.STARTED_AT), rec.get(r.ENDED_AT),
                rec.get(r.DURATION_SECONDS), rec.get(r.METADATA).data(), rec.get(r.R2_KEY), rec.get(MACHINES.NAME),
                rec.get(CHUNK_COUNT), rec.get(BYTE_COUNT), rec.get(r.SEALED),
                rec.get(r.LEGAL_HOLD), rec.get(r.LEGAL_HOLD_REASON), rec.get(r.STORE_ID) != null);
    }

    private static Chunk chunk(io.castvault.db.jooq.tables.records.RecordingChunksRecord c) {
        return new Chunk(c.getChunkIndex(), c.getSha256(), c.getByteLength(), c.getEventCount(),
                c.getLastEventTime(), c.getHasHeader(), STORED.equals(c.getState()));
    }

    // --- deletion -------------------------------------------------------------------------------------------

    /** Hides one recording from every read by marking it {@code deleting}; false when it is not visible. */
    public static boolean markDeleting(Tx tx, UUID id) {
        return tx.dsl().update(SESSION_RECORDINGS).set(SESSION_RECORDINGS.STATUS, DELETING)
                .where(SESSION_RECORDINGS.ORG_ID.eq(tx.requireOrg()).and(SESSION_RECORDINGS.ID.eq(id)))
                .execute() == 1;
    }

    /** The chunk indexes (stored or claimed) of each recording, for building their object keys. */
    public static Map<UUID, List<Integer>> chunkIndexes(Tx tx, Collection<UUID> recordingIds) {
        return tx.dsl().select(RECORDING_CHUNKS.RECORDING_ID, RECORDING_CHUNKS.CHUNK_INDEX).from(RECORDING_CHUNKS)
                .where(UuidArrays.anyOf(RECORDING_CHUNKS.RECORDING_ID, recordingIds))
                .fetchGroups(RECORDING_CHUNKS.RECORDING_ID, RECORDING_CHUNKS.CHUNK_INDEX);
    }

    // --- abandonment ------------------------------------------------------------------------------------------

    /**
     * Active recordings with no chunk received and no start within {@code idleSeconds}, locked (skipping rows
     * another transaction holds); {@code onlyId} narrows it to one recording, to re-check under its lock.
     */
    public static List<RecordingRef> lockAbandoned(Tx tx, long idleSeconds, int limit, UUID onlyId) {
        var r = SESSION_RECORDINGS;
        Field<Instant> cutoff = DSL.field("now() - make_interval(secs => {0})", Instant.class, DSL.val((double) idleSeconds));
        Field<Instant> lastChunk = DSL.field(DSL.select(DSL.max(RECORDING_CHUNKS.CREATED_AT)).from(RECORDING_CHUNKS)
                .where(RECORDING_CHUNKS.RECORDING_ID.eq(r.ID)));
        Condition c = r.STATUS.eq(ACTIVE)
                .and(r.STARTED_AT.lt(cutoff))
                .and(lastChunk.isNull().or(lastChunk.lt(cutoff)))
                .and(r.NEXT_SEAL_AT.isNull().or(r.NEXT_SEAL_AT.lt(DSL.currentInstant())))
                .and(r.SEAL_TOKEN.isNull().or(r.SEAL_STARTED_AT.lt(cutoff)));
        if (onlyId != null) {
            c = c.and(r.ID.eq(onlyId));
        }
        return tx.dsl().select(r.ORG_ID, r.ID).from(r).where(c)
                .orderBy(r.STARTED_AT)
                .limit(limit).forUpdate().of(r).skipLocked()
                .fetch(rec -> new RecordingRef(rec.value1(), rec.value2()));
    }
}
