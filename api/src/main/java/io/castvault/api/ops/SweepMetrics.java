package io.castvault.api.ops;

import io.castvault.recording.RetentionService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The retention sweeper's runs: when it last ran and last succeeded (an alert compares them with now), how long
 * runs take, and what they removed, left pending, auto-completed, or failed at.
 */
// created at start-up, so every series exists (at zero) before the first sweep or upload
@Context
@Requires(notEnv = "cli")
public class SweepMetrics {
    private final AtomicLong lastRun = new AtomicLong();
    private final AtomicLong lastSuccess = new AtomicLong();
    private final AtomicLong pending = new AtomicLong();
    private final Timer duration;
    private final Counter deleted;
    private final Counter objectsDeleted;
    private final Counter autoCompleted;
    private final Counter runFailures;
    private final Counter deleteFailures;
    private final Counter autoCompleteFailures;

    public SweepMetrics(MeterRegistry registry) {
        Gauge.builder("castvault.sweep.last.run.timestamp", lastRun, AtomicLong::get).baseUnit("seconds")
                .description("Unix time the last sweep ended, whatever its outcome (0: none yet)").register(registry);
        Gauge.builder("castvault.sweep.last.success.timestamp", lastSuccess, AtomicLong::get).baseUnit("seconds")
                .description("Unix time the last sweep ended without failing (0: none yet)").register(registry);
        Gauge.builder("castvault.sweep.pending", pending, AtomicLong::get)
                .description("Expired recordings the last sweep could not delete (retried next run)").register(registry);
        duration = Buckets.latency(Timer.builder("castvault.sweep.duration").description("Duration of sweeper runs"))
                .register(registry);
        deleted = Counter.builder("castvault.sweep.recordings.deleted").description("Recordings removed by the sweeper")
                .register(registry);
        objectsDeleted = Counter.builder("castvault.sweep.objects.deleted").description("Objects removed by the sweeper")
                .register(registry);
        autoCompleted = Counter.builder("castvault.sweep.abandoned.completed")
                .description("Abandoned recordings the sweeper completed").register(registry);
        runFailures = failures(registry, "run");
        deleteFailures = failures(registry, "delete");
        autoCompleteFailures = failures(registry, "auto_complete");
    }

    private static Counter failures(MeterRegistry registry, String kind) {
        return Counter.builder("castvault.sweep.failures").tag("kind", kind)
                .description("Sweeper failures: whole runs, recordings not deleted, abandoned recordings not completed")
                .register(registry);
    }

    public void completed(RetentionService.SweepReport report) {
        duration.record(report.took());
        deleted.increment(report.recordingsDeleted());
        objectsDeleted.increment(report.objectsDeleted());
        autoCompleted.increment(report.autoCompleted());
        deleteFailures.increment(report.recordingsPending());
        autoCompleteFailures.increment(report.autoCompleteFailures());
        pending.set(report.recordingsPending());
        long now = System.currentTimeMillis() / 1000;
        lastRun.set(now);
        if (report.recordingsPending() == 0 && report.autoCompleteFailures() == 0) {
            lastSuccess.set(now);
        }
    }

    public void failed() {
        runFailures.increment();
        lastRun.set(System.currentTimeMillis() / 1000);
    }
}
