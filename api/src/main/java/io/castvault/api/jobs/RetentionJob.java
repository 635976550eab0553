package io.castvault.api.jobs;

import io.castvault.api.ops.Draining;
import io.castvault.api.ops.SweepMetrics;
import io.castvault.recording.RetentionService;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the retention sweep shortly after start-up and then every RETENTION_SWEEP_INTERVAL. */
@Singleton
@Requires(notEnv = "cli")
public class RetentionJob {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionJob.class);

    private final RetentionService retention;
    private final SweepMetrics metrics;
    private final Draining draining;

    public RetentionJob(RetentionService retention, SweepMetrics metrics, Draining draining) {
        this.retention = retention;
        this.metrics = metrics;
        this.draining = draining;
    }

    @Scheduled(initialDelay = "${castvault.retention.initial-delay:30s}", fixedDelay = "${castvault.retention.sweep-interval}")
    void sweep() {
        if (draining.draining()) {
            return; // shutting down: another instance, or this one after its restart, runs it
        }
        try {
            metrics.completed(retention.sweep());
        } catch (RuntimeException e) {
            // the next run retries; what was marked stays marked
            metrics.failed();
            LOG.warn("retention sweep failed: {}", e.getMessage());
        }
    }
}
