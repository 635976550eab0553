package io.castvault.api.ops;

import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/** One fixed set of latency buckets for every timer, so dashboards can compare them and series stay few. */
final class Buckets {
    private static final Duration[] LATENCY = {
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private Buckets() {
    }

    static Timer.Builder latency(Timer.Builder builder) {
        return builder.serviceLevelObjectives(LATENCY);
    }
}
