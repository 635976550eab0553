package io.castvault.db;

import io.castvault.core.model.Chunk;
import io.castvault.core.model.RecordingStatus;

import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.RECORDING_CHUNKS;
import static io.castvault.db.jooq.Tables.SESSION_RECORDINGS;

/**
 * The states of the write path (migration V4), each changed by one short statement so that no transaction is open
 * while the object store is called: chunk claims, the seal token, the delete action's row, and what the orphan
 * sweep asks. Retention's removals are {@link RemovalQueries}'.
 */
public final class WritePathQueries {
    // the statement of upload_chunk's claims and marks, rendered once (see RenderedQuery)
    /** which kind of step a row answers; a mark's row says 'mark-stored' (the ambiguous-commit test looks for it) */
    private static final Field<String> STEP = DSL.field(DSL.name("step"), String.class);
    /** the 1-based position, among the statement's claims or among its marks, of the step a row answers */
    private static final Field<Integer> STEP_POSITION = DSL.field(DSL.name("n"), Integer.class);
    private static final Field<String> CLAIM_STATUS = DSL.field(DSL.name("status"), String.class);
    private static final Field<UUID> CLAIM_USER_ID = DSL.field(DSL.name("user_id"), UUID.class);
    private static final Field<Instant> CLAIM_STARTED_AT = DSL.field(DSL.name("started_at"), Instant.class);
    /** the claim was made by this statement */
    private static final Field<Boolean> CLAIMED = DSL.field(DSL.name("claimed"), Boolean.class);
    /**
     * A statement of claims only commits without waiting for its WAL to reach the disk (no mark in it: the function
     * of migration V15 sets {@code synchronous_commit} off for its own transaction). A claim must be visible before
     * the object is put (a seal or a deletion has to see it), not durable: the synchronous commit of its mark comes
     * later in the WAL, so that flush makes the claim durable before the chunk is acknowledged. A claim lost with a
     * database crash leaves at most an unacknowledged object under the recording's prefix, which the seal or the
     * deletion removes with the strays.
     */
    private static final RenderedQuery CHUNK_STEPS = RenderedQuery.of(
            DSL.select(STEP, STEP_POSITION, CLAIM_STATUS, CLAIM_USER_ID, CLAIM_STARTED_AT, CLAIMED)
                    .from(DSL.table("castvault_chunk_steps({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11})",
                            RenderedQuery.param("org", UUID.class),
                            RenderedQuery.param("marks", UUID[].class),
                            RenderedQuery.param("mark_indexes", Integer[].class),
                            RenderedQuery.param("mark_sha256s", byte[][].class),
                            RenderedQuery.param("claims", UUID[].class),
                            RenderedQuery.param("claim_indexes", Integer[].class),
                            RenderedQuery.param("claim_sha256s", byte[][].class),
                            RenderedQuery.param("byte_lengths", Long[].class),
                            RenderedQuery.param("event_counts", Integer[].class),
                            RenderedQuery.param("last_event_times", Double[].class),
                            RenderedQuery.param("has_headers", Boolean[].class),
                            RenderedQuery.param("writers", UUID[].class))));

    private WritePathQueries() {
    }

    // --- chunk claims -----------------------------------------------------------------------------------------

    /** A chunk row that was already there when a claim was tried, and how long ago it was claimed. */
    public record ExistingChunk(Chunk chunk, double claimAgeSeconds) {
    }

    /**
     * What a claim found: the recording (empty when it is not there or is being deleted) and whether this call
     * claimed the chunk.
     */
    public record Claim(Optional<RecordingQueries.LockedRecording> recording, boolean claimed) {
    }

    /** One of upload_chunk's database steps: the claim before the object is put, the mark after. */
    public sealed interface ChunkStep permits ChunkClaim, StoredMark {
    }

    /** Claims chunk {@code chunk.index()} of a recording for {@code writer} (null: anyone, i.e. an admin). */
    public record ChunkClaim(UUID recordingId, Chunk chunk, UUID writer) implements ChunkStep {
    }

    /** Marks stored the chunk of recording {@code recordingId} whose object was put with these bytes. */
    public record StoredMark(UUID recordingId, int index, byte[] sha256) implements ChunkStep {
    }

    /**
     * A step's answer: for a claim, what it found ({@code claim}); for a mark ({@code claim} null), whether it
     * found its pending claim.
     */
    public record StepAnswer(Claim claim, boolean marked) {
    }

    /**
     * Runs {@code steps}, all of {@code orgId}, in one autocommit statement (function of migration V15); answer i
     * is step i's. Marks first: each turns a pending claim with its SHA-256 into an acknowledged chunk
     * ({@link #markStored(Tx, UUID, int, byte[])}). Then claims: each locks its recording (shared, like
     * {@link RecordingQueries#lock}: a seal waits for the claim and vice versa) and claims the chunk as pending when
     * the recording is active and the claim's writer may write it. Everything is committed when this returns, the
     * claims visible but, in a statement without marks, not yet flushed (see {@link #CHUNK_STEPS}). Not claimed with
     * an active recording means the index is held: see {@link #chunkAt}.
     */
    public static List<StepAnswer> chunkSteps(Database db, UUID orgId, List<? extends ChunkStep> steps) {
        List<Integer> claimAt = new ArrayList<>();
        List<Integer> markAt = new ArrayList<>();
        List<ChunkClaim> claims = new ArrayList<>();
        List<StoredMark> marks = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            switch (steps.get(i)) {
                case ChunkClaim c -> {
                    claims.add(c);
                    claimAt.add(i);
                }
                case StoredMark m -> {
                    marks.add(m);
                    markAt.add(i);
                }
            }
        }
        Map<String, Object> values = new HashMap<>();
        values.put("org", orgId);
        values.put("marks", marks.stream().map(StoredMark::recordingId).toArray(UUID[]::new));
        values.put("mark_indexes", marks.stream().map(StoredMark::index).toArray(Integer[]::new));
        values.put("mark_sha256s", marks.stream().map(StoredMark::sha256).toArray(byte[][]::new));
        values.put("claims", claims.stream().map(ChunkClaim::recordingId).toArray(UUID[]::new));
        values.put("claim_indexes", claims.stream().map(c -> c.chunk().index()).toArray(Integer[]::new));
        values.put("claim_sha256s", claims.stream().map(c -> c.chunk().sha256()).toArray(byte[][]::new));
        values.put("byte_lengths", claims.stream().map(c -> c.chunk().byteLength()).toArray(Long[]::new));
        values.put("event_counts", claims.stream().map(c -> c.chunk().eventCount()).toArray(Integer[]::new));
        values.put("last_event_times", claims.stream().map(c -> c.chunk().lastEventTime()).toArray(Double[]::new));
        values.put("has_headers", claims.stream().map(c -> c.chunk().hasHeader()).toArray(Boolean[]::new));
        values.put("writers", claims.stream().map(ChunkClaim::writer).toArray(UUID[]::new));
        return db.statementInOrg(orgId, tx -> {
            StepAnswer[] answers = new StepAnswer[steps.size()];
            // a claim without a row found no recording, a mark without one found no pending claim
            claimAt.forEach(i -> answers[i] = new StepAnswer(new Claim(Optional.empty(), false), false));
            markAt.forEach(i -> answers[i] = new StepAnswer(null, false));
            CHUNK_STEPS.fetch(tx, values, row -> {
                int n = row.get(STEP_POSITION) - 1;
                if ("mark-stored".equals(row.get(STEP))) {
                    answers[markAt.get(n)] = new StepAnswer(null, true);
                } else {
                    answers[claimAt.get(n)] = new StepAnswer(new Claim(Optional.of(new RecordingQueries.LockedRecording(
                            claims.get(n).recordingId(), RecordingStatus.of(row.get(CLAIM_STATUS)), row.get(CLAIM_USER_ID),
                            row.get(CLAIM_STARTED_AT))), row.get(CLAIMED)), false);
                }
                return n;
            });
            return List.of(answers);
        });
    }

    /** The row that holds chunk {@code index}, and how long ago it was claimed; empty when there is none. */
    public static Optional<ExistingChunk> chunkAt(Tx tx, UUID recordingId, int index) {
        Field<Double> age = DSL.field("extract(epoch from now() - {0})::float8", Double.class, RECORDING_CHUNKS.CLAIMED_AT);
        return tx.dsl().select(RECORDING_CHUNKS.asterisk(), age).from(RECORDING_CHUNKS)
                .where(RECORDING_CHUNKS.RECORDING_ID.eq(recordingId).and(RECORDING_CHUNKS.CHUNK_INDEX.eq(index)))
                .fetchOptional(r -> new ExistingChunk(chunk(r.into(RECORDING_CHUNKS)), r.get(age)));
    }

    /**
     * The claim with this SHA-256 becomes an acknowledged chunk; false when there is no such pending claim (it
     * was stored already, or released).
     */
    public static boolean markStored(Tx tx, UUID recordingId, int index, byte[] sha256) {
        return tx.dsl().update(RECORDING_CHUNKS)
                .set(RECORDING_CHUNKS.STATE, RecordingQueries.STORED)
                // the abandoned-recording completer measures idleness from the last stored chunk
                .set(RECORDING_CHUNKS.CREATED_AT, DSL.currentInstant())
                .where(RECORDING_CHUNKS.RECORDING_ID.eq(recordingId).and(RECORDING_CHUNKS.CHUNK_INDEX.eq(index))
                        .and(RECORDING_CHUNKS.SHA256.eq(sha256)).and(RECORDING_CHUNKS.STATE.eq(RecordingQueries.PENDING)))
                .execute() == 1;
    }

    /** Drops a pending claim (never a stored chunk); false when it is no longer there as it was. */
    public static boolean releaseClaim(Tx tx, UUID recordingId, int index, byte[] sha256) {
        return tx.dsl().deleteFrom(RECORDING_CHUNKS)
                .where(RECORDING_CHUNKS.RECORDING_ID.eq(recordingId).and(RECORDING_CHUNKS.CHUNK_INDEX.eq(index))
                        .and(RECORDING_CHUNKS.SHA256.eq(sha256)).and(RECORDING_CHUNKS.STATE.eq(RecordingQueries.PENDING)))
                .execute() == 1;
    }

    public record PendingChunk(UUID orgId, UUID recordingId, Chunk chunk) {
    }

    /** Claims older than {@code leaseSeconds}, whose writer has given up or died; for the sweeper to reconcile. */
    public static List<PendingChunk> stalePending(Tx tx, long leaseSeconds, int limit) {
        return tx.dsl().selectFrom(RECORDING_CHUNKS)
                .where(RECORDING_CHUNKS.STATE.eq(RecordingQueries.PENDING))
                .and(RECORDING_CHUNKS.CLAIMED_AT.lt(ago(leaseSeconds)))
                .orderBy(RECORDING_CHUNKS.CLAIMED_AT)
                .limit(limit)
                .fetch(r -> new PendingChunk(r.getOrgId(), r.getRecordingId(), chunk(r)));
    }

    // --- sealing ----------------------------------------------------------------------------------------------

    /**
     * Takes the seal token of an active recording: one seal runs at a time; a token older than {@code leaseSeconds}
     * belongs to a seal that died and is taken over. False when the recording is not active or another seal holds it.
     */
    public static boolean beginSeal(Tx tx, UUID id, UUID token, long leaseSeconds) {
        var r = SESSION_RECORDINGS;
        return tx.dsl().update(r).set(r.SEAL_TOKEN, token).set(r.SEAL_STARTED_AT, DSL.currentInstant())
                .where(r.ORG_ID.eq(tx.requireOrg()).and(r.ID.eq(id)).and(r.STATUS.eq(RecordingQueries.ACTIVE)))
                .and(r.SEAL_TOKEN.isNull().or(r.SEAL_STARTED_AT.lt(ago(leaseSeconds))))
                .execute() == 1;
    }

    /**
     * True while {@code token} holds the recording's seal. No lock: a seal that reads true here was not taken over
     * before this read, so whatever a taker-over writes to the store comes after it.
     */
    public static boolean holdsSeal(Tx tx, UUID id, UUID token) {
        var r = SESSION_RECORDINGS;
        return tx.dsl().fetchExists(r, r.ORG_ID.eq(tx.requireOrg()).and(r.ID.eq(id)).and(r.SEAL_TOKEN.eq(token))
                .and(r.STATUS.eq(RecordingQueries.ACTIVE)));
    }

    /** Locks the recording only while {@code token} still holds its seal; empty when it was taken over or ended. */
    public static Optional<RecordingQueries.LockedRecording> lockSeal(Tx tx, UUID id, UUID token) {
        var r = SESSION_RECORDINGS;
        return tx.dsl().select(r.STATUS, r.USER_ID, r.STARTED_AT).from(r)
                .where(r.ORG_ID.eq(tx.requireOrg()).and(r.ID.eq(id)).and(r.SEAL_TOKEN.eq(token))
                        .and(r.STATUS.eq(RecordingQueries.ACTIVE)))
                .forUpdate()
                .fetchOptional(x -> new RecordingQueries.LockedRecording(id, RecordingStatus.of(x.value1()), x.value2(), x.value3()));
    }

    /**
     * Locks the recording's pending claims for the rest of the sealing transaction; called before the transaction
     * reads the stored chunks. A mark already under way is waited for, and its chunk then reads as stored (the seal
     * is redone with it); a mark that comes later waits for the commit, which drops the claim, and is refused. The
     * lock on the recording does not do this: marking a chunk stored does not touch the recording's row.
     */
    public static void lockPendingClaims(Tx tx, UUID recordingId) {
        tx.dsl().select(RECORDING_CHUNKS.CHUNK_INDEX).from(RECORDING_CHUNKS)
                .where(RECORDING_CHUNKS.RECORDING_ID.eq(recordingId).and(RECORDING_CHUNKS.STATE.eq(RecordingQueries.PENDING)))
                .forUpdate()
                .fetch();
    }

    /**
     * Completes a recording whose sealed object is durable: status, duration, summary key and metadata patch in
     * one statement; pending claims that lost the race with the seal are dropped (their objects are strays).
     */
    public static void finishSeal(Tx tx, UUID id, double durationSeconds, String summaryKey, String metadataPatchJson,
                                  boolean sealed) {
        var r = SESSION_RECORDINGS;
        tx.dsl().update(r)
                .set(r.STATUS, RecordingQueries.COMPLETED)
                .set(r.ENDED_AT, DSL.currentInstant())
                .set(r.DURATION_SECONDS, durationSeconds)
                .set(r.R2_KEY, summaryKey)
                .set(r.METADATA, DSL.field("{0} || {1}::jsonb", JSONB.class, r.METADATA, metadataPatchJson))
                .set(r.SEALED, sealed)
                .setNull(r.SEAL_TOKEN)
                .setNull(r.SEAL_STARTED_AT)
                .where(r.ORG_ID.eq(tx.requireOrg()).and(r.ID.eq(id)))
                .execute();
        tx.dsl().deleteFrom(RECORDING_CHUNKS)
                .where(RECORDING_CHUNKS.RECORDING_ID.eq(id).and(RECORDING_CHUNKS.STATE.eq(RecordingQueries.PENDING)))
                .execute();
    }

    /** Gives the seal token back after a failed seal; with {@code backOff}, the completer waits before trying again. */
    public static void releaseSeal(Tx tx, UUID id, UUID token, boolean backOff) {
        var r = SESSION_RECORDINGS;
        var update = tx.dsl().update(r).setNull(r.SEAL_TOKEN).setNull(r.SEAL_STARTED_AT);
        if (backOff) {
            // 1 h, 2 h, 4 h ... at most a week: a lost object will not come back by itself
            update = update.set(r.SEAL_FAILURES, r.SEAL_FAILURES.plus(1))
                    .set(r.NEXT_SEAL_AT, DSL.field("now() + least(interval '1 hour' * power(2, {0}), interval '7 days')",
                            Instant.class, r.SEAL_FAILURES));
        }
        update.where(r.ORG_ID.eq(tx.requireOrg()).and(r.ID.eq(id)).and(r.SEAL_TOKEN.eq(token))).execute();
    }

    /** The chunk objects of a sealed recording are gone; retention no longer needs their keys. */
    public static void markChunksCleared(Tx tx, UUID id) {
        var r = SESSION_RECORDINGS;
        tx.dsl().update(r).set(r.CHUNKS_CLEARED, true).where(r.ORG_ID.eq(tx.requireOrg()).and(r.ID.eq(id))).execute();
    }

    // --- deletion ---------------------------------------------------------------------------------------------

    /** Removes the row of a recording the delete action marked {@code deleting}; false when it is gone already. */
    public static boolean deleteMarkedRow(Tx tx, UUID id) {
        var r = SESSION_RECORDINGS;
        return tx.dsl().deleteFrom(r).where(r.ID.eq(id)).and(r.STATUS.eq(RecordingQueries.DELETING)).execute() == 1;
    }

    // --- orphan sweep -----------------------------------------------------------------------------------------

    /** What the rows say about one recording's objects. */
    public record Presence(RecordingStatus status, boolean sealed, boolean chunksCleared) {
    }

    public static Map<UUID, Presence> presence(Tx tx, Collection<UUID> recordingIds) {
        var r = SESSION_RECORDINGS;
        return tx.dsl().select(r.ID, r.STATUS, r.SEALED, r.CHUNKS_CLEARED).from(r).where(UuidArrays.anyOf(r.ID, recordingIds))
                .fetchMap(x -> x.value1(), x -> new Presence(RecordingStatus.of(x.value2()), x.value3(), x.value4()));
    }

    private static Field<Instant> ago(long seconds) {
        return DSL.field("now() - make_interval(secs => {0})", Instant.class, DSL.val((double) seconds));
    }

    private static Chunk chunk(io.castvault.db.jooq.tables.records.RecordingChunksRecord c) {
        return new Chunk(c.getChunkIndex(), c.getSha256(), c.getByteLength(), c.getEventCount(),
                c.getLastEventTime(), c.getHasHeader(), RecordingQueries.STORED.equals(c.getState()));
    }
}
