package io.castvault.db;

import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.impl.DSL;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.OBJECT_REMOVALS;
import static io.castvault.db.jooq.Tables.ORG_SETTINGS;
import static io.castvault.db.jooq.Tables.SESSION_RECORDINGS;

/**
 * Recordings whose rows are gone and whose objects are still to be deleted (migration V16): retention deletes a
 * batch of rows in one transaction and keeps, per org and slice, what their objects' keys are made of; the sweeper
 * deletes the objects, then the removal. A removal is held by one sweeper at a time (a lease, taken over when it
 * runs out), so concurrent sweepers work on disjoint ones.
 */
public final class RemovalQueries {
    private RemovalQueries() {
    }

    /**
     * What the deleted row said its recording has, and where ({@code storeId}: the org store it was started in,
     * null for the platform store; the row was what routed its keys): the sealed cast ({@code sealed}), a manifest and
     * its signature ({@code manifestRecorded}: the manifest's hash was recorded, which happens after it is
     * written), and the chunk objects still there ({@code chunkIndexes}, stored or claimed).
     */
    public record RemovedRecording(UUID orgId, UUID id, UUID storeId, boolean sealed, boolean manifestRecorded,
                                   List<Integer> chunkIndexes) {
        public RemovedRecording {
            chunkIndexes = List.copyOf(chunkIndexes);
        }
    }

    /**
     * One removal: recordings whose objects are still to be deleted, held by the caller; {@code orgId} is the org of
     * them all, or null when they span orgs (then only an all-orgs transaction sees the removal).
     */
    public record ObjectRemoval(long id, UUID orgId, List<RemovedRecording> recordings) {
        public ObjectRemoval {
            recordings = List.copyOf(recordings);
        }

        public List<RecordingRef> refs() {
            return recordings.stream().map(r -> new RecordingRef(r.orgId(), r.id())).toList();
        }
    }

    /**
     * Removes up to {@code limit} recordings older than their org's retention, except those under legal hold
     * (their own or their org's): their rows go (with their chunk rows), and removals of at most {@code slice}
     * recordings each (one org's after another), held by the caller, name their objects; what may still be on its
     * way to the store for them is named by removals held for the lease ({@link #deferObjectsInFlight}). With an
     * org-scoped transaction only that org is considered. The caller states the removal's reason first
     * ({@link EvidenceQueries#stateRemovalReason}).
     */
    public static List<ObjectRemoval> removeExpired(Tx tx, int limit, int slice) {
        var r = SESSION_RECORDINGS;
        Field<Integer> retention = DSL.coalesce(ORG_SETTINGS.RECORDING_RETENTION_DAYS,
                DSL.inline(OrgSettings.DEFAULTS.retentionDays()));
        // The constant bound (retention is at least one day) lets the started_at index narrow the scan.
        Condition expired = r.STATUS.ne(RecordingQueries.DELETING)
                .and(r.LEGAL_HOLD.isFalse()).and(DSL.coalesce(ORG_SETTINGS.LEGAL_HOLD, DSL.inline(false)).isFalse())
                .and(r.STARTED_AT.lt(DSL.field("now() - interval '1 day'", Instant.class)))
                .and(r.STARTED_AT.lt(DSL.field("now() - make_interval(days => {0})", Instant.class, retention)));
        if (tx.orgId().isPresent()) {
            expired = expired.and(r.ORG_ID.eq(tx.orgId().get()));
        }
        List<UUID> ids = tx.dsl().select(r.ID).from(r).leftJoin(ORG_SETTINGS).on(ORG_SETTINGS.ORG_ID.eq(r.ORG_ID))
                .where(expired).limit(limit).forUpdate().of(r).skipLocked().fetch(r.ID);
        deferObjectsInFlight(tx, ids);
        return remove(tx, ids, slice);
    }

    /**
     * Turns up to {@code limit} recordings marked {@code deleting} by the delete action, and left so (their
     * objects could not all be deleted, or the instance died), into removals held by the caller. An action still
     * deleting the one it marked loses nothing by this: both delete the same objects, and its own deletion of the
     * row then finds it gone.
     */
    public static List<ObjectRemoval> removeMarked(Tx tx, int limit, int slice) {
        var r = SESSION_RECORDINGS;
        Condition c = r.STATUS.eq(RecordingQueries.DELETING);
        if (tx.orgId().isPresent()) {
            c = c.and(r.ORG_ID.eq(tx.orgId().get()));
        }
        List<UUID> ids = tx.dsl().select(r.ID).from(r).where(c).limit(limit).forUpdate().skipLocked().fetch(r.ID);
        return remove(tx, ids, slice);
    }

    private static List<ObjectRemoval> remove(Tx tx, List<UUID> lockedIds, int slice) {
        if (lockedIds.isEmpty()) {
            return List.of();
        }
        List<Long> removals = tx.dsl().resultQuery("SELECT castvault_remove_recordings({0}, {1})",
                DSL.val(lockedIds.toArray(UUID[]::new)), DSL.val(slice)).fetch(0, Long.class);
        return read(tx, removals);
    }

    /**
     * Names what may still be on its way to the store for {@code recordingId} (chunks claimed and not yet stored, the
     * cast and summary of a seal in progress, a manifest not yet recorded) in a removal of its own, held now, so a
     * sweeper deletes those keys once the lease has run out (migration V18): they may land after the delete action
     * has listed and deleted the recording's objects. Called under the lock that marks the recording for deletion,
     * after which none of those writes can begin.
     */
    public static void deferObjectsInFlight(Tx tx, UUID recordingId) {
        deferObjectsInFlight(tx, List.of(recordingId));
    }

    private static void deferObjectsInFlight(Tx tx, List<UUID> lockedIds) {
        if (lockedIds.isEmpty()) {
            return;
        }
        tx.dsl().resultQuery("SELECT castvault_defer_objects_in_flight({0})", DSL.val(lockedIds.toArray(UUID[]::new)))
                .fetch();
    }

    /**
     * Leases up to {@code limit} removals that no sweeper holds (a lease older than {@code leaseSeconds} is taken
     * over), except {@code skip}: those a deletion could not finish before.
     */
    public static List<ObjectRemoval> lease(Tx tx, int limit, long leaseSeconds, Collection<Long> skip) {
        var o = OBJECT_REMOVALS;
        Condition c = o.CLAIMED_AT.isNull().or(o.CLAIMED_AT.lt(ago(leaseSeconds)));
        if (!skip.isEmpty()) {
            c = c.and(o.ID.ne(DSL.all(skip.toArray(Long[]::new))));
        }
        if (tx.orgId().isPresent()) {
            c = c.and(o.ORG_ID.eq(tx.orgId().get()));
        }
        var free = DSL.select(o.ID).from(o).where(c).orderBy(o.ID).limit(limit).forUpdate().skipLocked().asTable("free");
        List<Long> ids = tx.dsl().update(o).set(o.CLAIMED_AT, DSL.currentInstant())
                .from(free).where(o.ID.eq(free.field(o.ID))).returningResult(o.ID).fetch(o.ID);
        return read(tx, ids);
    }

    /**
     * The objects of removal {@code id} are all gone; false when the removal was no longer there (another sweeper
     * took it over when its lease ran out, and finished it first). Committed without waiting for the WAL flush: a
     * removal that a crash brings back is done again, which finds nothing left to delete.
     */
    public static boolean finish(Tx tx, long id) {
        tx.dsl().execute("SELECT set_config('synchronous_commit', 'off', true)");
        return tx.dsl().deleteFrom(OBJECT_REMOVALS).where(OBJECT_REMOVALS.ID.eq(id)).execute() == 1;
    }

    /**
     * The objects of removal {@code id} could not all be deleted: it keeps only the recordings {@code unfinished}
     * and is released, so the next attempt need not wait for the lease to run out. A recording the removal no longer
     * names was done by a sweeper that took it over meanwhile; when none is left, the removal goes. False when the
     * removal was no longer there.
     */
    public static boolean keep(Tx tx, long id, Collection<UUID> unfinished) {
        var o = OBJECT_REMOVALS;
        String[] ids = unfinished.stream().map(UUID::toString).toArray(String[]::new);
        int kept = tx.dsl().update(o)
                .set(o.RECORDINGS, DSL.field("coalesce((SELECT jsonb_agg(e) FROM jsonb_array_elements({0}) e "
                                + "WHERE e->>'id' = ANY ({1})), '[]'::jsonb)", o.RECORDINGS.getDataType(), o.RECORDINGS,
                        DSL.val(ids)))
                .setNull(o.CLAIMED_AT)
                .where(o.ID.eq(id)).execute();
        tx.dsl().deleteFrom(o).where(o.ID.eq(id)).and(DSL.condition("{0} = '[]'::jsonb", o.RECORDINGS)).execute();
        return kept == 1;
    }

    /**
     * Recordings whose rows are gone and whose objects are not yet (needs an all-orgs transaction for all). Each
     * counted once: a recording is named by a second removal while a write may still be on its way (V18), and one
     * the delete action marked is counted by its row until the row goes. The only rows a removal's recordings
     * still have are the marked ones, so they are looked up through the small {@code deleting} index: asked
     * whether any row was left, the planner hashed the whole table for each refresh (half a second at a million
     * recordings, every 15 s while a sweep's removals were pending).
     */
    public static long recordingsAwaitingObjectRemoval(Tx tx) {
        Long n = tx.dsl().resultQuery("""
                SELECT count(*)
                FROM (SELECT DISTINCT (e->>'id')::uuid AS id
                      FROM object_removals o CROSS JOIN LATERAL jsonb_array_elements(o.recordings) e) named
                WHERE NOT EXISTS (SELECT 1 FROM session_recordings s WHERE s.id = named.id AND s.status = 'deleting')""")
                .fetchOne(0, Long.class);
        return n == null ? 0 : n;
    }

    private static List<ObjectRemoval> read(Tx tx, List<Long> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<Long, UUID> orgs = new LinkedHashMap<>();
        Map<Long, List<RemovedRecording>> recordings = new LinkedHashMap<>();
        tx.dsl().resultQuery("""
                        SELECT o.id, o.org_id, (e->>'org')::uuid, (e->>'id')::uuid, (e->>'store')::uuid,
                               (e->>'sealed')::boolean, (e->>'manifest')::boolean,
                               ARRAY(SELECT x::integer FROM jsonb_array_elements_text(e->'chunks') x)
                        FROM object_removals o CROSS JOIN LATERAL jsonb_array_elements(o.recordings) e
                        WHERE o.id = ANY ({0}) ORDER BY o.id""", DSL.val(ids.toArray(Long[]::new)))
                .forEach(row -> {
                    long id = row.get(0, Long.class);
                    orgs.put(id, row.get(1, UUID.class));
                    recordings.computeIfAbsent(id, k -> new ArrayList<>()).add(new RemovedRecording(row.get(2, UUID.class),
                            row.get(3, UUID.class), row.get(4, UUID.class), row.get(5, Boolean.class),
                            row.get(6, Boolean.class), Arrays.asList(row.get(7, Integer[].class))));
                });
        List<ObjectRemoval> out = new ArrayList<>();
        orgs.forEach((id, org) -> out.add(new ObjectRemoval(id, org, recordings.get(id))));
        return out;
    }

    private static Field<Instant> ago(long seconds) {
        return DSL.field("now() - make_interval(secs => {0})", Instant.class, DSL.val((double) seconds));
    }
}
