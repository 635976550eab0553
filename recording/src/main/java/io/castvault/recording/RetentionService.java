package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.Database;
import io.castvault.db.EvidenceQueries;
import io.castvault.db.RecordingQueries;
import io.castvault.db.RecordingRef;
import io.castvault.db.RemovalQueries;
import io.castvault.db.RemovalQueries.ObjectRemoval;
import io.castvault.db.Role;
import io.castvault.db.Tx;
import io.castvault.db.WritePathQueries;
import io.castvault.db.WritePathQueries.PendingChunk;
import io.castvault.storage.StorageException;
import io.castvault.events.RetentionRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.IntFunction;

/**
 * The sweeper's run: recordings older than their org's retention (database clock) are removed from PostgreSQL,
 * then their objects from the store; active recordings nobody has written to for {@code abandonAfter} are sealed from the chunks they
 * have; stale chunk claims are reconciled against the store; and one bounded step of the orphan sweep runs.
 */
public final class RetentionService {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionService.class);
    private static final int REMOVE_BATCH = 5_000;
    /** The first batch is one removal, so the deletion of objects starts as soon as it can (about 50 ms, not 500). */
    private static final int FIRST_REMOVE_BATCH = Deletion.BATCH;
    private static final int ABANDON_BATCH = 100;
    private static final int CLAIM_BATCH = 1_000;

    private final Database db;
    private final Deletion deletion;
    private final Sealing sealing;
    private final ChunkUploads uploads;
    private final OrphanSweep orphans;
    private final Duration abandonAfter;
    private final Duration claimLease;

    public RetentionService(Database db, Deletion deletion, Sealing sealing, ChunkUploads uploads, OrphanSweep orphans,
                            Duration abandonAfter, Duration claimLease) {
        this.db = db;
        this.deletion = deletion;
        this.sealing = sealing;
        this.uploads = uploads;
        this.orphans = orphans;
        this.abandonAfter = abandonAfter;
        this.claimLease = claimLease;
    }

    /** What one run did; logged, and returned for tests and tools. */
    public record SweepReport(int orgs, int recordingsDeleted, int objectsDeleted, int recordingsPending, int autoCompleted,
                              int autoCompleteFailures, int claimsReconciled, int orphansDeleted, Duration took) {
    }

    public record CleanupResult(int deleted, int pending) {
    }

    /** One run over every org; objects that could not be deleted stay named by their removals for the next run. */
    public SweepReport sweep() {
        long start = System.nanoTime();
        RetentionRun events = RetentionRun.sweep();
        Deletion.Outcome outcome = removeAndDelete(null, limit -> db.acrossOrgs(tx -> removeExpired(tx, null, events, limit)));
        events.completed(db);
        int reconciled = reconcileClaims();
        int[] completed = completeAbandoned();
        int orphansDeleted = 0;
        try {
            OrphanSweep.Report o = orphans.run();
            orphansDeleted = o.deleted();
            if (o.failed() > 0) {
                LOG.warn("orphan sweep: {}", o);
            }
        } catch (StorageException e) {
            LOG.warn("orphan sweep failed: {}", e.getMessage());
        }
        SweepReport report = new SweepReport(outcome.orgs().size(), outcome.recordingsDeleted(), outcome.objectsDeleted(),
                outcome.recordingsFailed(), completed[0], completed[1], reconciled, orphansDeleted,
                Duration.ofNanos(System.nanoTime() - start));
        if (report.recordingsPending() > 0 || report.autoCompleteFailures() > 0) {
            LOG.warn("retention sweep: {}", report);
        } else {
            LOG.info("retention sweep: {}", report);
        }
        return report;
    }

    /**
     * Removes expired recordings in bounded batches ({@code removeBatch} removes one and commits; a transaction
     * never holds many row locks for long) on a thread of its own, handing each batch's removals to
     * {@link Deletion} as soon as they are committed: the row deletions and audit entries use one core, the
     * deletion of objects the other. A failure of the removing fails the run, as when it ran first.
     */
    private Deletion.Outcome removeAndDelete(UUID orgId, IntFunction<List<ObjectRemoval>> removeBatch) {
        Deletion.Handover handover = new Deletion.Handover();
        FutureTask<Void> removing = new FutureTask<>(() -> {
            try {
                for (List<ObjectRemoval> batch = removeBatch.apply(FIRST_REMOVE_BATCH); !batch.isEmpty() && handover.add(batch);
                     batch = removeBatch.apply(REMOVE_BATCH)) {
                    // until a batch finds nothing left to remove, or the deletion has ended
                }
            } finally {
                handover.end();
            }
            return null;
        });
        Thread.ofVirtual().name("retention-removing").start(removing);
        try {
            return deletion.deleteRemoved(orgId, handover);
        } finally {
            awaitRemoving(removing);
        }
    }

    /** One batch of the removing, with its audit entries and events; {@code cleanupBy} null for the sweeper. */
    private static List<ObjectRemoval> removeExpired(Tx tx, Caller cleanupBy, RetentionRun events, int limit) {
        EvidenceQueries.stateRemovalReason(tx, "retention", null);
        List<ObjectRemoval> removed = RemovalQueries.removeExpired(tx, limit, Deletion.BATCH);
        List<RecordingRef> refs = removed.stream().flatMap(r -> r.refs().stream()).toList();
        Audit.expired(tx, cleanupBy, refs);
        events.expired(tx, refs);
        return removed;
    }

    private static void awaitRemoving(FutureTask<Void> removing) {
        try {
            removing.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while removing expired recordings", e);
        }
    }

    /** The cleanup action: the org's retention applied now, in this org only. */
    public CleanupResult cleanup(Caller caller) {
        caller.requireRole(Role.ADMIN);
        RetentionRun events = RetentionRun.cleanup(caller.orgId(), caller.userId());
        Deletion.Outcome outcome = removeAndDelete(caller.orgId(),
                limit -> db.inOrg(caller.orgId(), tx -> removeExpired(tx, caller, events, limit)));
        events.completed(db);
        if (outcome.recordingsFailed() > 0 && outcome.recordingsDeleted() == 0) {
            throw new CastvaultException(ErrorCode.STORAGE_UNAVAILABLE,
                    outcome.recordingsFailed() + " expired recordings could not be deleted now; they stay hidden and are retried");
        }
        LOG.info("cleanup of org {}: {}", caller.orgId(), outcome);
        return new CleanupResult(outcome.recordingsDeleted(), outcome.recordingsFailed());
    }

    private int reconcileClaims() {
        List<PendingChunk> stale = db.acrossOrgs(tx -> WritePathQueries.stalePending(tx, claimLease.toSeconds(), CLAIM_BATCH));
        int done = 0;
        for (PendingChunk p : stale) {
            try {
                uploads.reconcile(p.orgId(), p.recordingId(), p.chunk());
                done++;
            } catch (RuntimeException e) {
                LOG.warn("could not reconcile the claim of chunk {} of recording {}: {}", p.chunk().index(),
                        p.recordingId(), e.getMessage());
            }
        }
        return done;
    }

    /** Returns {completed, failed}; a recording that failed is backed off (see {@link Sealing#sealAbandoned}). */
    private int[] completeAbandoned() {
        long idle = abandonAfter.toSeconds();
        List<RecordingRef> candidates = db.acrossOrgs(tx -> RecordingQueries.lockAbandoned(tx, idle, ABANDON_BATCH, null));
        int done = 0;
        int failed = 0;
        for (RecordingRef ref : candidates) {
            try {
                done += sealing.sealAbandoned(ref.orgId(), ref.id(), idle) ? 1 : 0;
            } catch (RuntimeException e) {
                failed++;
                LOG.warn("could not auto-complete abandoned recording {}: {}", ref.id(), e.getMessage());
            }
        }
        return new int[] {done, failed};
    }
}
