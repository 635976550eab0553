package io.castvault.api.ops;

import io.castvault.db.Database;
import io.castvault.db.PoolStats;
import io.castvault.recording.ServiceCounts;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;

/**
 * Gauges read from the database: the pool's occupancy (from the pool itself, free) and recordings per status
 * (from the trigger-maintained counters) and the events outbox backlog, refreshed on a schedule so a scrape never
 * waits on a query.
 */
@Context
@Requires(notEnv = "cli")
public class ServiceGauges {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceGauges.class);
    /** The statuses a recording can have; each gets a series from the start, so a rate over it never has gaps. */
    static final List<String> STATUSES = List.of("active", "completed", "deleting");

    private final Database db;
    private final ServiceCounts counts;
    private final MeterRegistry registry;
    private final Map<String, AtomicLong> byStatus = new ConcurrentHashMap<>();
    private final AtomicLong outboxBacklog = new AtomicLong();

    public ServiceGauges(Database db, ServiceCounts counts, MeterRegistry registry) {
        this.db = db;
        this.counts = counts;
        this.registry = registry;
        gauge("active", PoolStats::active);
        gauge("idle", PoolStats::idle);
        gauge("total", PoolStats::total);
        gauge("max", PoolStats::max);
        Gauge.builder("castvault.db.pool.waiting", db, d -> d.poolStats().waiting())
                .description("Threads waiting for a database connection").register(registry);
        for (String status : STATUSES) {
            statusGauge(status);
        }
        Gauge.builder("castvault.events.outbox.backlog", outboxBacklog, AtomicLong::get)
                .description("Events waiting in the outbox to be published to NATS").register(registry);
    }

    private void gauge(String state, ToIntFunction<PoolStats> value) {
        Gauge.builder("castvault.db.pool.connections", db, d -> value.applyAsInt(d.poolStats()))
                .tag("state", state).description("Database connections by state").register(registry);
    }

    private AtomicLong statusGauge(String status) {
        return byStatus.computeIfAbsent(status, s -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("castvault.recordings", value, AtomicLong::get).tag("status", s)
                    .description("Recordings by status over all orgs; deleting is the backlog of the sweeper")
                    .register(registry);
            return value;
        });
    }

    /** Reads the counters; public so a test need not wait for the schedule. */
    @Scheduled(fixedDelay = "${castvault.metrics.gauge-refresh:15s}", initialDelay = "1s")
    public void refresh() {
        try {
            ServiceCounts.Snapshot now = counts.read();
            Map<String, Long> byStatusNow = now.recordingsByStatus();
            for (String status : STATUSES) {
                statusGauge(status).set(byStatusNow.getOrDefault(status, 0L));
            }
            byStatusNow.forEach((status, n) -> statusGauge(status).set(n));
            outboxBacklog.set(now.outboxBacklog());
        } catch (RuntimeException e) {
            // the gauges keep their last values; the db call meter already counts the failure
            LOG.debug("could not refresh recording gauges: {}", e.getMessage());
        }
    }
}
