package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.Database;
import io.castvault.db.RecordingQueries;
import io.castvault.db.RecordingRef;
import io.castvault.db.Tx;
import io.castvault.storage.BlobStore;
import io.castvault.storage.DeleteResult;
import io.castvault.storage.ObjectKey;

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

/**
 * Removes recordings already marked {@code deleting} (so no read shows them any more): objects first, then the
 * rows of the recordings whose objects are all gone. A recording whose objects could not all be deleted keeps its
 * row and mark, and the next attempt finishes it. Row locks taken with SKIP LOCKED make each recording the work of
 * exactly one transaction, however many workers and instances sweep at once.
 */
final class RecordingDeleter {
    static final int BATCH = 500;
    static final int WORKERS = 2;

    private final Database db;
    private final BlobStore blobs;

    RecordingDeleter(Database db, BlobStore blobs) {
        this.db = db;
        this.blobs = blobs;
    }

    record Outcome(Set<UUID> orgs, int recordingsDeleted, int objectsDeleted, int recordingsFailed) {
        Outcome plus(Outcome o) {
            Set<UUID> all = new HashSet<>(orgs);
            all.addAll(o.orgs);
            return new Outcome(all, recordingsDeleted + o.recordingsDeleted, objectsDeleted + o.objectsDeleted,
                    recordingsFailed + o.recordingsFailed);
        }
    }

    /** The delete action: every object under the recording's prefixes (strays included), then the row. */
    void deleteOne(UUID orgId, UUID recordingId) {
        db.inOrg(orgId, tx -> {
            if (RecordingQueries.lock(tx, recordingId, true).isEmpty()) {
                return null; // a concurrent delete finished it
            }
            Set<ObjectKey> keys = new LinkedHashSet<>();
            for (ObjectKey.Prefix prefix : ObjectKey.recordingPrefixes(orgId, recordingId)) {
                keys.addAll(blobs.list(prefix));
            }
            DeleteResult result = blobs.delete(keys);
            if (!result.complete()) {
                throw new CastvaultException(ErrorCode.STORAGE_UNAVAILABLE, result.failed().size()
                        + " objects of the recording could not be deleted; it stays hidden and deletion will be retried");
            }
            RecordingQueries.deleteRows(tx, List.of(recordingId));
            return null;
        });
    }

    /**
     * Deletes every recording marked {@code deleting} in scope ({@code orgId} or, when null, all orgs) that no
     * other transaction is working on. {@link #WORKERS} batches run at once, each in its own transaction, so one
     * batch's object deletion overlaps another's row work instead of waiting for it.
     */
    Outcome deleteMarked(UUID orgId) {
        Set<UUID> failed = ConcurrentHashMap.newKeySet();
        List<Future<Outcome>> workers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < WORKERS; i++) {
                workers.add(pool.submit(() -> drain(orgId, failed)));
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

    private Outcome drain(UUID orgId, Set<UUID> failed) {
        Outcome total = new Outcome(Set.of(), 0, 0, 0);
        while (true) {
            Outcome batch = orgId == null ? db.acrossOrgs(tx -> deleteBatch(tx, failed)) : db.inOrg(orgId, tx -> deleteBatch(tx, failed));
            if (batch == null) {
                return total;
            }
            total = total.plus(batch);
        }
    }

    /** One batch in one transaction; null when there is nothing (left) to do. */
    private Outcome deleteBatch(Tx tx, Set<UUID> failedEarlier) {
        List<RecordingRef> refs = RecordingQueries.lockDeleting(tx, BATCH, failedEarlier);
        if (refs.isEmpty()) {
            return null;
        }
        Map<UUID, List<Integer>> indexes = RecordingQueries.chunkIndexes(tx, refs.stream().map(RecordingRef::id).toList());
        Map<ObjectKey, UUID> owner = new HashMap<>();
        for (RecordingRef r : refs) {
            owner.put(ObjectKey.summary(r.orgId(), r.id()), r.id());
            owner.put(ObjectKey.manifest(r.orgId(), r.id()), r.id());
            owner.put(ObjectKey.signatureOf(ObjectKey.manifest(r.orgId(), r.id())), r.id());
            for (int i : indexes.getOrDefault(r.id(), List.of())) {
                owner.put(ObjectKey.chunk(r.orgId(), r.id(), i), r.id());
            }
        }
        DeleteResult result = blobs.delete(owner.keySet());
        Set<UUID> incomplete = new HashSet<>();
        result.failed().keySet().forEach(k -> incomplete.add(owner.get(k)));
        List<UUID> done = new ArrayList<>();
        for (RecordingRef r : refs) {
            if (!incomplete.contains(r.id())) {
                done.add(r.id());
            }
        }
        int deleted = done.isEmpty() ? 0 : RecordingQueries.deleteRows(tx, done);
        failedEarlier.addAll(incomplete);
        Set<UUID> orgs = new HashSet<>();
        refs.forEach(r -> orgs.add(r.orgId()));
        return new Outcome(orgs, deleted, result.deleted().size(), incomplete.size());
    }
}
