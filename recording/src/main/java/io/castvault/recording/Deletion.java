package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.Database;
import io.castvault.db.EvidenceQueries;
import io.castvault.db.RecordingQueries;
import io.castvault.db.RemovalQueries;
import io.castvault.db.RemovalQueries.ObjectRemoval;
import io.castvault.db.RemovalQueries.RemovedRecording;
import io.castvault.db.Role;
import io.castvault.db.StorageQueries;
import io.castvault.db.WritePathQueries;
import io.castvault.events.Events;
import io.castvault.events.Outbox;
import io.castvault.storage.BlobStore;
import io.castvault.storage.DeleteResult;
import io.castvault.storage.ObjectKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Deleting recordings, no row lock held while the store is called. The delete action marks its recording
 * {@code deleting} (hidden from every read at once), deletes everything under its prefixes, then the row.
 * Retention removes a batch of rows in one transaction, leaving removals that name their objects
 * ({@link RemovalQueries}), and deletes the objects of each removal, then the removal. What could not be deleted
 * stays named by a removal (or, for the action, by its marked row, which the next sweep turns into a removal) and
 * is retried; a lease keeps concurrent sweepers on disjoint removals. What is still being written when either
 * begins (a chunk's PUT, a seal's, a manifest's) lands after its listing or its deletion; a removal held for the
 * lease names it (migration V18), so it is deleted once no such write can still land.
 */
public final class Deletion {
    private static final Logger LOG = LoggerFactory.getLogger(Deletion.class);
    /** Recordings per removal: one worker's DeleteObjects calls and one row to finish. */
    static final int BATCH = 500;
    /** DeleteObjects calls of one run in flight at once: what a sweep asks of a store, whatever its size. */
    static final int STORE_CALLS = 2;
    /**
     * Removals in work at once: more than {@link #STORE_CALLS}, so that while one removal's row is finished
     * another's objects are being deleted, and the store is never left waiting on the database.
     */
    static final int WORKERS = 4;

    private final Database db;
    private final StorePlacement placement;
    private final long leaseSeconds;

    /**
     * @param placement the store a recording's row recorded: where its objects are deleted (the row, which would
     *                  route its keys, is gone, or may go, by then)
     * @param lease     how long a sweeper may hold a removal it is working on before another takes it over
     */
    public Deletion(Database db, StorePlacement placement, Duration lease) {
        this.db = db;
        this.placement = placement;
        this.leaseSeconds = lease.toSeconds();
    }

    record Outcome(Set<UUID> orgs, int recordingsDeleted, int objectsDeleted, int recordingsFailed) {
        Outcome plus(Outcome o) {
            Set<UUID> all = new HashSet<>(orgs);
            all.addAll(o.orgs);
            return new Outcome(all, recordingsDeleted + o.recordingsDeleted, objectsDeleted + o.objectsDeleted,
                    recordingsFailed + o.recordingsFailed);
        }
    }

    /**
     * The {@code delete} action: every object under the recording's prefixes (strays included), in the store its
     * row recorded (looked up before the listing: a sweeper may turn the marked row into a removal meanwhile), then
     * the row.
     */
    public String delete(Caller caller, UUID sessionId) {
        caller.requireRole(Role.ADMIN);
        StorageQueries.RecordingStore placed = db.inOrg(caller.orgId(), tx -> {
            // refused with LEGAL_HOLD while the recording or its org is held (the controller records the refusal)
            LegalHoldService.requireDeletable(tx, sessionId);
            EvidenceQueries.stateRemovalReason(tx, "admin_delete", caller.userId());
            if (!RecordingQueries.markDeleting(tx, sessionId)) {
                throw CastvaultException.notFound("recording");
            }
            RemovalQueries.deferObjectsInFlight(tx, sessionId);
            Audit.deleting(tx, caller, sessionId);
            Outbox.append(tx, Events.recordingDeleted(caller.orgId(), sessionId, Events.DeleteReason.ADMIN, caller.userId()));
            return StorageQueries.storeOf(tx, sessionId).orElseThrow();
        });
        BlobStore store = placement.placed(caller.orgId(), placed.storeId());
        Set<ObjectKey> keys = new LinkedHashSet<>();
        for (ObjectKey.Prefix prefix : ObjectKey.recordingPrefixes(caller.orgId(), sessionId)) {
            keys.addAll(StoreFailures.call(() -> store.list(prefix)));
        }
        DeleteResult result = store.delete(keys);
        if (!result.complete()) {
            throw new CastvaultException(ErrorCode.STORAGE_UNAVAILABLE, result.failed().size()
                    + " objects of the recording could not be deleted; it stays hidden and deletion will be retried");
        }
        db.inOrg(caller.orgId(), tx -> WritePathQueries.deleteMarkedRow(tx, sessionId));
        return sessionId.toString();
    }

    /**
     * Deletes the objects of every removal in scope ({@code orgId} or, when null, all orgs) that no other sweeper
     * holds, after turning what the delete action left marked into removals. {@link #WORKERS} removals are in
     * work at once, at most {@link #STORE_CALLS} of them in the store.
     */
    Outcome deleteRemoved(UUID orgId) {
        Handover none = new Handover();
        none.end();
        return deleteRemoved(orgId, none);
    }

    /**
     * As {@link #deleteRemoved(UUID)}, first taking the removals a retention run hands over while it goes on
     * (removed and held in one transaction, see {@link RemovalQueries#removeExpired}). Retention removes in
     * batches of thousands (row deletions and audit entries, one core's work) and deletes objects while it
     * removes, so both cores are busy from the first batch on.
     */
    Outcome deleteRemoved(UUID orgId, Handover handed) {
        Set<Long> failed = ConcurrentHashMap.newKeySet();
        Semaphore storeCalls = new Semaphore(STORE_CALLS);
        List<Future<Outcome>> workers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < WORKERS; i++) {
                workers.add(pool.submit(() -> drain(orgId, failed, handed, storeCalls)));
            }
        } finally {
            // a retention run still removing after the workers ended (they failed) must not wait to hand over more
            handed.close();
        }
        Outcome total = new Outcome(Set.of(), 0, 0, 0);
        RuntimeException error = null;
        for (Future<Outcome> worker : workers) {
            try {
                total = total.plus(worker.get());
            } catch (ExecutionException e) {
                error = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while deleting recordings", e);
            }
        }
        if (error != null) {
            throw error;
        }
        return total;
    }

    private Outcome drain(UUID orgId, Set<Long> failed, Handover handed, Semaphore storeCalls) {
        Outcome total = new Outcome(Set.of(), 0, 0, 0);
        for (Optional<ObjectRemoval> next = handed.next(); next.isPresent(); next = handed.next()) {
            total = total.plus(deleteObjects(next.get(), failed, storeCalls));
        }
        while (true) {
            List<ObjectRemoval> held = tx(orgId, tx -> {
                List<ObjectRemoval> marked = RemovalQueries.removeMarked(tx, BATCH, BATCH);
                return marked.isEmpty() ? RemovalQueries.lease(tx, 1, leaseSeconds, failed) : marked;
            });
            if (held.isEmpty()) {
                return total;
            }
            for (ObjectRemoval removal : held) {
                total = total.plus(deleteObjects(removal, failed, storeCalls));
            }
        }
    }

    /**
     * Removals a retention run has made, handed from its removing thread to the deletion workers. Bounded: a
     * removing thread that runs ahead of the deletion waits, so no removal waits in memory for long while its
     * lease runs down.
     */
    static final class Handover {
        private static final ObjectRemoval END = new ObjectRemoval(-1, new UUID(0, 0), List.of());
        private static final int AHEAD = 20;

        private final BlockingQueue<ObjectRemoval> removals = new LinkedBlockingQueue<>(AHEAD);
        private volatile boolean closed;

        /**
         * Hands {@code batch} over once it is committed; blocks while the workers are that far behind. False when
         * the deletion has ended already (its workers failed): the removing should stop, and the removals it made
         * are leased again once their lease runs out.
         */
        boolean add(List<ObjectRemoval> batch) {
            for (ObjectRemoval removal : batch) {
                if (!put(removal)) {
                    return false;
                }
            }
            return true;
        }

        /** No more removals will come (also after a failed removing). */
        void end() {
            for (int i = 0; i < WORKERS; i++) {
                put(END);
            }
        }

        /** The next removal; empty once the removing has ended. */
        Optional<ObjectRemoval> next() {
            try {
                ObjectRemoval next = removals.take();
                return next == END ? Optional.empty() : Optional.of(next);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while deleting recordings", e);
            }
        }

        /** The deletion has ended: nothing more is taken, and nobody waits to hand over more. */
        void close() {
            closed = true;
            removals.clear();
        }

        private boolean put(ObjectRemoval removal) {
            try {
                while (!closed) {
                    if (removals.offer(removal, 100, TimeUnit.MILLISECONDS)) {
                        return true;
                    }
                    // the workers are behind: wait, unless they have ended
                }
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while handing over removed recordings", e);
            }
        }
    }

    private <T> T tx(UUID orgId, java.util.function.Function<io.castvault.db.Tx, T> work) {
        return orgId == null ? db.acrossOrgs(work) : db.inOrg(orgId, work);
    }

    /**
     * One held removal: delete the objects its recordings' rows named (no transaction open), then the removal, or,
     * when some could not be deleted, keep it for those recordings only and release it.
     */
    private Outcome deleteObjects(ObjectRemoval removal, Set<Long> failedEarlier, Semaphore storeCalls) {
        // Only the keys the rows said exist, or may still be written (V18): deleting keys that were never written
        // costs the store as much as real ones. Objects no row named (a released claim, a cast or manifest written
        // by a process that died before recording it) are the orphan sweep's.
        Map<StoreOfOrg, Map<ObjectKey, UUID>> ownerByStore = new HashMap<>();
        for (RemovedRecording r : removal.recordings()) {
            UUID org = r.orgId();
            Map<ObjectKey, UUID> owner = ownerByStore.computeIfAbsent(new StoreOfOrg(org, r.storeId()), s -> new HashMap<>());
            owner.put(ObjectKey.summary(org, r.id()), r.id());
            if (r.sealed()) {
                owner.put(ObjectKey.cast(org, r.id()), r.id());
            }
            if (r.manifestRecorded()) {
                ObjectKey manifest = ObjectKey.manifest(org, r.id());
                owner.put(manifest, r.id());
                owner.put(ObjectKey.signatureOf(manifest), r.id());
            }
            for (int i : r.chunkIndexes()) {
                owner.put(ObjectKey.chunk(org, r.id(), i), r.id());
            }
        }
        Set<UUID> unfinished = new HashSet<>();
        int deleted = 0;
        storeCalls.acquireUninterruptibly(); // every holder releases: a store call ends within its timeout
        try {
            for (var byStore : ownerByStore.entrySet()) {
                StoreOfOrg where = byStore.getKey();
                Map<ObjectKey, UUID> owner = byStore.getValue();
                try {
                    DeleteResult result = placement.placed(where.orgId(), where.storeId()).delete(owner.keySet());
                    result.failed().keySet().forEach(k -> unfinished.add(owner.get(k)));
                    deleted += result.deleted().size();
                } catch (RuntimeException e) {
                    // the org's store could not even be reached (its row or its client is gone): kept for later
                    LOG.warn("could not delete the objects of {} recordings of org {} in store {}: {}",
                            new HashSet<>(owner.values()).size(), where.orgId(), where.storeId(), e.getMessage());
                    unfinished.addAll(owner.values());
                }
            }
        } finally {
            storeCalls.release();
        }
        boolean held;
        if (unfinished.isEmpty()) {
            held = tx(removal.orgId(), tx -> RemovalQueries.finish(tx, removal.id()));
        } else {
            // known as failed before the lease goes, so no other worker of this run leases it again at once
            failedEarlier.add(removal.id());
            held = tx(removal.orgId(), tx -> RemovalQueries.keep(tx, removal.id(), unfinished));
        }
        Set<UUID> orgs = new HashSet<>();
        removal.recordings().forEach(r -> orgs.add(r.orgId()));
        // a removal another sweeper took over and finished meanwhile is counted there, not here
        int done = held ? removal.recordings().size() - unfinished.size() : 0;
        return new Outcome(orgs, done, deleted, held ? unfinished.size() : 0);
    }

    /** An org's store a row recorded ({@code storeId} null: the platform store). */
    private record StoreOfOrg(UUID orgId, UUID storeId) {
    }
}
