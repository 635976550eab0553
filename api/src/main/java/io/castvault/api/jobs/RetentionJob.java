package io.castvault.api.jobs;

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

    public RetentionJob(RetentionService retention) {
        this.retention = retention;
    }

    @Scheduled(initialDelay = "${castvault.retention.initial-delay:30s}", fixedDelay = "${castvault.retention.sweep-interval}")
    void sweep() {
        try {
            retention.sweep();
        } catch (RuntimeException e) {
            // the next run retries; what was marked stays marked
            LOG.warn("retention sweep failed: {}", e.getMessage());
        }
    }
}
