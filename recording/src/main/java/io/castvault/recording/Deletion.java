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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

/**
 * Deleting recordings in three steps, none holding a row lock while the store is called: mark {@code deleting}
 * (hidden from every read at once), delete the objects, delete the rows of the recordings whose objects are all
 * gone. A recording whose objects could not all be deleted keeps its mark and is retried; a lease (migration V4)
 * keeps concurrent sweepers on disjoint recordings.
 */
public final class Deletion {
    static final int BATCH = 500;
    static final int WORKERS = 2;
    private static final Duration MARKING_POLL = Duration.ofMillis(20);

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
     * other sweeper holds. {@link #WORKERS} batches run at once, so one batch's object deletion overlaps another's
     * row work.
     */
    Outcome deleteMarked(UUID orgId) {
        return deleteMarked(orgId, () -> true);
    }

    /**
     * As {@link #deleteMarked(UUID)} while another thread is still marking: a worker that finds nothing to lease
     * waits for more until {@code markingDone} says no more will come. Retention marks in batches of thousands
     * (a transaction of row updates and audit entries, one core's work) and deletes while it marks, so both cores
     * are busy from the first batch on instead of the marking running alone before any deletion.
     */
    Outcome deleteMarked(UUID orgId, BooleanSupplier markingDone) {
        Set<UUID> failed = ConcurrentHashMap.newKeySet();
        List<Future<Outcome>> workers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < WORKERS; i++) {
                workers.add(pool.submit(() -> drain(orgId, failed, markingDone)));
            }
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

    private Outcome drain(UUID orgId, Set<UUID> failed, BooleanSupplier markingDone) {
        Outcome total = new Outcome(Set.of(), 0, 0, 0);
        while (true) {
            // read before leasing: marking that ends after an empty lease may have marked more, so go round again
            boolean finalRound = markingDone.getAsBoolean();
            Outcome batch = deleteBatch(orgId, failed);
            if (batch != null) {
                total = total.plus(batch);
            } else if (finalRound) {
                return total;
            } else {
                pauseForMarking();
            }
        }
    }

    private static void pauseForMarking() {
        try {
            Thread.sleep(MARKING_POLL);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while deleting recordings", e);
        }
    }

    private <T> T tx(UUID orgId, java.util.function.Function<io.castvault.db.Tx, T> work) {
        return orgId == null ? db.acrossOrgs(work) : db.inOrg(orgId, work);
    }

    /** One batch: lease (one statement), delete objects (no transaction), delete rows; null when nothing is left. */
    private Outcome deleteBatch(UUID orgId, Set<UUID> failedEarlier) {
        List<DeletingRecording> leased = tx(orgId, tx -> WritePathQueries.leaseDeleting(tx, BATCH, leaseSeconds, failedEarlier));
        if (leased.isEmpty()) {
            return null;
        }
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
        DeleteResult result = blobs.delete(owner.keySet());
        Set<UUID> incomplete = new HashSet<>();
        result.failed().keySet().forEach(k -> incomplete.add(owner.get(k)));
        List<UUID> done = leased.stream().map(DeletingRecording::id).filter(id -> !incomplete.contains(id)).toList();
        int deleted = done.isEmpty() ? 0 : tx(orgId, tx -> WritePathQueries.deleteMarkedRows(tx, done));
        if (!incomplete.isEmpty()) {
            tx(orgId, tx -> {
                WritePathQueries.releaseDeleteLeases(tx, incomplete);
                return null;
            });
        }
        failedEarlier.addAll(incomplete);
        Set<UUID> orgs = new HashSet<>();
        leased.forEach(r -> orgs.add(r.orgId()));
        return new Outcome(orgs, deleted, result.deleted().size(), incomplete.size());
    }
}
