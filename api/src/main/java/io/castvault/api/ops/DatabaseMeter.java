package io.castvault.api.ops;

import io.castvault.db.DatabaseObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;

/** {@code castvault_db_calls_seconds}: every transaction and ping, by outcome ({@code ok} or the failure's code). */
public final class DatabaseMeter implements DatabaseObserver {
    static final String METER = "castvault.db.calls";

    private final MeterRegistry registry;

    public DatabaseMeter(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void completed(String operation, long nanos, String failure) {
        Buckets.latency(Timer.builder(METER).tag("operation", operation).tag("outcome", failure == null ? "ok" : failure)
                        .description("PostgreSQL transactions and pings by outcome"))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }
}
