package io.castvault.api.jobs;

import io.castvault.api.ops.Draining;
import io.castvault.api.ops.SweepMetrics;
import io.castvault.recording.AuditService;
import io.castvault.recording.CustomStoreSweeps;
import io.castvault.recording.LegalHoldService;
import io.castvault.recording.RetentionService;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the retention sweep (and the audit trail's pruning) shortly after start-up and then every RETENTION_SWEEP_INTERVAL. */
@Singleton
@Requires(notEnv = "cli")
public class RetentionJob {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionJob.class);

    private final RetentionService retention;
    private final SweepMetrics metrics;
    private final Draining draining;
    private final AuditService audit;
    private final LegalHoldService holds;
    private final CustomStoreSweeps customStores;

    public RetentionJob(RetentionService retention, SweepMetrics metrics, Draining draining, AuditService audit,
                        LegalHoldService holds, CustomStoreSweeps customStores) {
        this.customStores = customStores;
        this.retention = retention;
        this.metrics = metrics;
        this.draining = draining;
        this.audit = audit;
        this.holds = holds;
    }

    /** Public so a test need not wait for the schedule. */
    @Scheduled(initialDelay = "${castvault.retention.initial-delay:30s}", fixedDelay = "${castvault.retention.sweep-interval}")
    public void sweep() {
        if (draining.draining()) {
            return; // shutting down: another instance, or this one after its restart, runs it
        }
        try {
            metrics.completed(retention.sweep());
        } catch (RuntimeException e) {
            // the next run retries; removals already made stay, and are taken over once their lease runs out
            metrics.failed();
            LOG.warn("retention sweep failed: {}", e.getMessage());
        }
        try {
            int held = holds.expiredHeldEverywhere();
            if (held > 0) {
                LOG.info("retention sweep: {} expired recordings kept by legal hold", held);
            }
        } catch (RuntimeException e) {
            LOG.warn("counting held recordings failed: {}", e.getMessage());
        }
        try {
            customStores.run();
        } catch (RuntimeException e) {
            LOG.warn("orphan sweep of the orgs' own stores failed: {}", e.getMessage());
        }
        try {
            audit.prune();
        } catch (RuntimeException e) {
            LOG.warn("audit pruning failed: {}", e.getMessage());
        }
    }
}
