package io.castvault.api.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import io.castvault.evidence.DigestWriter;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import io.micronaut.context.annotation.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Looks every DIGEST_CHECK whether an org's digest is due (DIGEST_INTERVAL, or the daily heartbeat) and writes it. */
// created at start-up, so its series exist (at zero) before the first run
@Context
@Requires(notEnv = "cli")
public class DigestJob {
    private static final Logger LOG = LoggerFactory.getLogger(DigestJob.class);

    private final DigestWriter digests;
    private final AtomicLong lastSuccess = new AtomicLong();
    private final Counter failures;

    public DigestJob(DigestWriter digests, MeterRegistry registry) {
        this.digests = digests;
        // digest lag for alerting: time() - castvault_digest_last_success_timestamp_seconds
        Gauge.builder("castvault.digest.last.success.timestamp", lastSuccess, AtomicLong::get).baseUnit("seconds")
                .description("When a digest run last finished without failing (epoch seconds)").register(registry);
        failures = Counter.builder("castvault.digest.failures").description("Digest runs that failed").register(registry);
    }

    /** Public so a test need not wait for the schedule. */
    @Scheduled(initialDelay = "${castvault.evidence.initial-delay:1m}", fixedDelay = "${castvault.evidence.digest-check}")
    public void run() {
        try {
            digests.runAll();
            lastSuccess.set(Instant.now().getEpochSecond());
        } catch (RuntimeException e) {
            failures.increment();
            // unwritten digests keep their claim rows; the next run writes them, late but in order
            LOG.warn("digest run failed: {}", e.getMessage());
        }
    }
}
