package io.castvault.api.jobs;

import io.castvault.evidence.DigestWriter;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Looks every DIGEST_CHECK whether an org's digest is due (DIGEST_INTERVAL, or the daily heartbeat) and writes it. */
@Singleton
@Requires(notEnv = "cli")
public class DigestJob {
    private static final Logger LOG = LoggerFactory.getLogger(DigestJob.class);

    private final DigestWriter digests;

    public DigestJob(DigestWriter digests) {
        this.digests = digests;
    }

    @Scheduled(initialDelay = "${castvault.evidence.initial-delay:1m}", fixedDelay = "${castvault.evidence.digest-check}")
    void run() {
        try {
            digests.runAll();
        } catch (RuntimeException e) {
            // unwritten digests keep their claim rows; the next run writes them, late but in order
            LOG.warn("digest run failed: {}", e.getMessage());
        }
    }
}
