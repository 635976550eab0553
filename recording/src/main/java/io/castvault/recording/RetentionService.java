package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.db.Database;
import io.castvault.db.RecordingQueries;
import io.castvault.db.RecordingRef;
import io.castvault.db.Role;
import io.castvault.events.RetentionRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Retention: recordings older than their org's retention (measured with the database clock) are hidden, then
 * removed from both tiers; active recordings nobody has written to for {@code abandonAfter} are completed from
 * the chunks they have.
 */
public final class RetentionService {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionService.class);
    private static final int MARK_BATCH = 5_000;
    private static final int ABANDON_BATCH = 100;

    private final Database db;
    private final RecordingService recordings;
    private final RecordingDeleter deleter;
    private final Duration abandonAfter;

    public RetentionService(Database db, RecordingService recordings, Duration abandonAfter) {
        this.db = db;
        this.recordings = recordings;
        this.deleter = recordings.deleter();
        this.abandonAfter = abandonAfter;
    }

    /** What one run did; logged, and returned for tests and tools. */
    public record SweepReport(int orgs, int recordingsDeleted, int objectsDeleted, int recordingsPending, int autoCompleted,
                              int autoCompleteFailures, Duration took) {
    }

    public record CleanupResult(int deleted, int pending) {
    }

    /** One run over every org; what could not be finished stays marked for the next run. */
    public SweepReport sweep() {
        long start = System.nanoTime();
        RetentionRun events = RetentionRun.sweep(); // issue 16 hook
        while (db.acrossOrgs(tx -> events.expired(tx, RecordingQueries.markExpired(tx, MARK_BATCH))) > 0) { // issue 16 hook
            // mark in bounded batches so no transaction holds many row locks for long
        }
        RecordingDeleter.Outcome outcome = deleter.deleteMarked(null);
        events.completed(db); // issue 16 hook
        int[] completed = completeAbandoned();
        SweepReport report = new SweepReport(outcome.orgs().size(), outcome.recordingsDeleted(), outcome.objectsDeleted(),
                outcome.recordingsFailed(), completed[0], completed[1], Duration.ofNanos(System.nanoTime() - start));
        if (report.recordingsPending() > 0 || report.autoCompleteFailures() > 0) {
            LOG.warn("retention sweep: {}", report);
        } else {
            LOG.info("retention sweep: {}", report);
        }
        return report;
    }

    /** The cleanup action: the org's retention applied now, in this org only. */
    public CleanupResult cleanup(Caller caller) {
        caller.requireRole(Role.ADMIN);
        RetentionRun events = RetentionRun.cleanup(caller.orgId(), caller.userId()); // issue 16 hook
        while (db.inOrg(caller.orgId(), tx -> events.expired(tx, RecordingQueries.markExpired(tx, MARK_BATCH))) > 0) { // issue 16 hook
            // as in sweep()
        }
        RecordingDeleter.Outcome outcome = deleter.deleteMarked(caller.orgId());
        events.completed(db); // issue 16 hook
        if (outcome.recordingsFailed() > 0 && outcome.recordingsDeleted() == 0) {
            throw new CastvaultException(io.castvault.core.ErrorCode.STORAGE_UNAVAILABLE,
                    outcome.recordingsFailed() + " expired recordings could not be deleted now; they stay hidden and are retried");
        }
        LOG.info("cleanup of org {}: {}", caller.orgId(), outcome);
        return new CleanupResult(outcome.recordingsDeleted(), outcome.recordingsFailed());
    }

    /** Returns {completed, failed}. */
    private int[] completeAbandoned() {
        long idle = abandonAfter.toSeconds();
        List<RecordingRef> candidates = db.acrossOrgs(tx -> RecordingQueries.lockAbandoned(tx, idle, ABANDON_BATCH, null));
        int done = 0;
        int failed = 0;
        for (RecordingRef ref : candidates) {
            try {
                Boolean completed = db.inOrg(ref.orgId(), tx -> {
                    if (RecordingQueries.lockAbandoned(tx, idle, 1, ref.id()).isEmpty()) {
                        return false; // written to meanwhile, completed, or another sweeper has it
                    }
                    Optional<RecordingQueries.LockedRecording> rec = RecordingQueries.lock(tx, ref.id(), true);
                    recordings.finish(tx, ref.orgId(), rec.orElseThrow(),
                            new RecordingService.CompleteRequest(null, null, null), true, null);
                    return true;
                });
                done += completed ? 1 : 0;
            } catch (RuntimeException e) {
                failed++;
                LOG.warn("could not auto-complete abandoned recording {}: {}", ref.id(), e.getMessage());
            }
        }
        return new int[] {done, failed};
    }
}
