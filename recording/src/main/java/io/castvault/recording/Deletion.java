package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.Database;
import io.castvault.db.EvidenceQueries;
import io.castvault.db.RecordingQueries;
import io.castvault.db.Role;
import io.castvault.db.WritePathQueries;
import io.castvault.db.WritePathQueries.DeletingRecording;
import io.castvault.events.Events;
import io.castvault.events.Outbox;
import io.castvault.storage.BlobStore;
import io.castvault.storage.DeleteResult;
import io.castvault.storage.ObjectKey;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
 * Deleting recordings in three steps, none holding a row lock while the store is called: mark {@code deleting}
 * (hidden from every read at once), delete the objects, delete the rows of the recordings whose objects are all
 * gone. A recording whose objects could not all be deleted keeps its mark and is retried; a lease (migration V4)
 * keeps concurrent sweepers on disjoint recordings.
 */
public final class Deletion {
    static final int BATCH = 500;
    /** DeleteObjects calls of one run in flight at once: what a sweep asks of a store, whatever its size. */
    static final int STORE_CALLS = 2;
    /**
     * Batches in work at once: more than {@link #STORE_CALLS}, so that while one batch's rows are read or deleted
     * another's objects are being deleted, and the store is never left waiting on the database.
     */
    static final int WORKERS = 4;

    private final Database db;
    private final BlobStore blobs;
    private final long leaseSeconds;

    /** @param lease how long a sweeper may own a recording it is deleting before another takes it over */
    public Deletion(Database db, BlobStore blobs, Duration lease) {
        this.db = db;
        this.blobs = blobs;
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

    /** The {@code delete} action: every object under the recording's prefixes (strays included), then the row. */
    public String delete(Caller caller, UUID sessionId) {
        caller.requireRole(Role.ADMIN);
        db.inOrg(caller.orgId(), tx -> {
            // refused with LEGAL_HOLD while the recording or its org is held (the controller records the refusal)
            LegalHoldService.requireDeletable(tx, sessionId);
            EvidenceQueries.stateRemovalReason(tx, "admin_delete", caller.userId());
            if (!RecordingQueries.markDeleting(tx, sessionId)) {
                throw CastvaultException.notFound("recording");
            }
            Audit.deleting(tx, caller, sessionId);
            Outbox.append(tx, Events.recordingDeleted(caller.orgId(), sessionId, Events.DeleteReason.ADMIN, caller.userId()));
            return null;
        });
        Set<ObjectKey> keys = new LinkedHashSet<>();
        for (ObjectKey.Prefix prefix : ObjectKey.recordingPrefixes(caller.orgId(), sessionId)) {
            keys.addAll(StoreFailures.call(() -> blobs.list(prefix)));
        }
        DeleteResult result = blobs.delete(keys);
        if (!result.complete()) {
            throw new CastvaultException(ErrorCode.STORAGE_UNAVAILABLE, result.failed().size()
                    + " objects of the recording could not be deleted; it stays hidden and deletion will be retried");
        }
        db.inOrg(caller.orgId(), tx -> WritePathQueries.deleteMarkedRows(tx, List.of(sessionId)));
        return sessionId.toString();
    }

    /**
     * Deletes every recording marked {@code deleting} in scope ({@code orgId} or, when null, all orgs) that no
     * other sweeper holds. {@link #WORKERS} batches run at once, at most {@link #STORE_CALLS} of them in the store.
     */
    Outcome deleteMarked(UUID orgId) {
        Marked none = new Marked();
        none.end();
        return deleteMarked(orgId, none);
    }

    /**
     * As {@link #deleteMarked(UUID)}, first taking the batches a marking hands over while it goes on (marked and
     * leased in one statement, see {@link WritePathQueries#markExpired}), then leasing what else is marked: a
     * deletion that failed before, or the {@code delete} action's. Retention marks in batches of thousands (a
     * transaction of row updates and audit entries, one core's work) and deletes while it marks, so both cores are
     * busy from the first batch on instead of the marking running alone before any deletion.
     */
    Outcome deleteMarked(UUID orgId, Marked marked) {
        Set<UUID> failed = ConcurrentHashMap.newKeySet();
        Semaphore storeCalls = new Semaphore(STORE_CALLS);
        List<Future<Outcome>> workers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < WORKERS; i++) {
                workers.add(pool.submit(() -> drain(orgId, failed, marked, storeCalls)));
            }
        } finally {
            // a marking still going on after the workers ended (they failed) must not wait to hand over more
            marked.close();
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

    private Outcome drain(UUID orgId, Set<UUID> failed, Marked marked, Semaphore storeCalls) {
        Outcome total = new Outcome(Set.of(), 0, 0, 0);
        for (List<DeletingRecording> batch = marked.next(); !batch.isEmpty(); batch = marked.next()) {
            total = total.plus(deleteLeased(orgId, batch, failed, storeCalls));
        }
        while (true) {
            List<DeletingRecording> leased = tx(orgId, tx -> WritePathQueries.leaseDeleting(tx, BATCH, leaseSeconds, failed));
            if (leased.isEmpty()) {
                return total;
            }
            total = total.plus(deleteLeased(orgId, leased, failed, storeCalls));
        }
    }

    /**
     * Recordings a marking has marked and leased, handed from the marking thread to the deletion workers in slices
     * of {@link #BATCH}. Bounded: a marking that runs ahead of the deletion waits, so no slice waits in memory
     * for long while its lease runs down.
     */
    static final class Marked {
        private static final List<DeletingRecording> END = List.of();
        private static final int SLICES_AHEAD = 20;

        private final BlockingQueue<List<DeletingRecording>> slices = new LinkedBlockingQueue<>(SLICES_AHEAD);
        private volatile boolean closed;

        /**
         * Hands {@code batch} over once it is committed; blocks while the workers are that far behind. False when
         * the deletion has ended already (its workers failed): the marking should stop, and the rows it marked stay
         * marked and are leased again once their lease runs out.
         */
        boolean add(List<DeletingRecording> batch) {
            for (int from = 0; from < batch.size(); from += BATCH) {
                if (!put(List.copyOf(batch.subList(from, Math.min(batch.size(), from + BATCH))))) {
                    return false;
                }
            }
            return true;
        }

        /** No more batches will come (also after a failed marking). */
        void end() {
            for (int i = 0; i < WORKERS; i++) {
                put(END);
            }
        }

        /** The next slice; empty once the marking has ended. */
        List<DeletingRecording> next() {
            try {
                return slices.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while deleting recordings", e);
            }
        }

        /** The deletion has ended: nothing more is taken, and nobody waits to hand over more. */
        void close() {
            closed = true;
            slices.clear();
        }

        private boolean put(List<DeletingRecording> slice) {
            try {
                while (!closed) {
                    if (slices.offer(slice, 100, TimeUnit.MILLISECONDS)) {
                        return true;
                    }
                    // the workers are behind: wait, unless they have ended
                }
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while handing over marked recordings", e);
            }
        }
    }

    private <T> T tx(UUID orgId, java.util.function.Function<io.castvault.db.Tx, T> work) {
        return orgId == null ? db.acrossOrgs(work) : db.inOrg(orgId, work);
    }

    /** One leased batch: delete its objects (no transaction), then the rows of those whose objects are all gone. */
    private Outcome deleteLeased(UUID orgId, List<DeletingRecording> leased, Set<UUID> failedEarlier,
                                 Semaphore storeCalls) {
        List<UUID> withChunks = leased.stream().filter(r -> !r.chunksCleared()).map(DeletingRecording::id).toList();
        Map<UUID, List<Integer>> indexes = withChunks.isEmpty() ? Map.of()
                : tx(orgId, tx -> RecordingQueries.chunkIndexes(tx, withChunks));
        // Keys come from the rows (fast, batched), and only those the rows say exist: deleting keys that were
        // never written costs the store as much as real ones. Objects no row names (a released claim, a cast or
        // manifest written by a process that died before recording it) are the orphan sweep's.
        Map<ObjectKey, UUID> owner = new HashMap<>();
        for (DeletingRecording r : leased) {
            owner.put(ObjectKey.summary(r.orgId(), r.id()), r.id());
            if (r.sealed()) {
                owner.put(ObjectKey.cast(r.orgId(), r.id()), r.id());
            }
            if (r.manifestRecorded()) {
                ObjectKey manifest = ObjectKey.manifest(r.orgId(), r.id());
                owner.put(manifest, r.id());
                owner.put(ObjectKey.signatureOf(manifest), r.id());
            }
            for (int i : indexes.getOrDefault(r.id(), List.of())) {
                owner.put(ObjectKey.chunk(r.orgId(), r.id(), i), r.id());
            }
        }
        DeleteResult result;
        storeCalls.acquireUninterruptibly(); // every holder releases: a store call ends within its timeout
        try {
            result = blobs.delete(owner.keySet());
        } finally {
            storeCalls.release();
        }
        Set<UUID> incomplete = new HashSet<>();
        result.failed().keySet().forEach(k -> incomplete.add(owner.get(k)));
        List<UUID> done = leased.stream().map(DeletingRecording::id).filter(id -> !incomplete.contains(id)).toList();
        int deleted = done.isEmpty() ? 0 : tx(orgId, tx -> WritePathQueries.deleteMarkedRows(tx, done));
        if (!incomplete.isEmpty()) {
            // known as failed before the lease goes, so no other worker of this run leases them again at once
            failedEarlier.addAll(incomplete);
            tx(orgId, tx -> {
                WritePathQueries.releaseDeleteLeases(tx, incomplete);
                return null;
            });
        }
        Set<UUID> orgs = new HashSet<>();
        leased.forEach(r -> orgs.add(r.orgId()));
        return new Outcome(orgs, deleted, result.deleted().size(), incomplete.size());
    }
}
