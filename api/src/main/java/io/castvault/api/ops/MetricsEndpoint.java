package io.castvault.api.ops;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.management.endpoint.annotation.Endpoint;
import io.micronaut.management.endpoint.annotation.Read;

/**
 * {@code GET /metrics} in the Prometheus text format, written by Micrometer's Prometheus registry. Like every
 * management endpoint it is routed only on {@code MANAGEMENT_PORT} ({@code endpoints.all.port}), never on the
 * API port; it replaces the integration's JSON {@code metrics} endpoint, which would claim the same path.
 */
@Endpoint(id = "metrics", defaultSensitive = false)
@Replaces(io.micronaut.configuration.metrics.management.endpoint.MetricsEndpoint.class)
public class MetricsEndpoint {
    private final PrometheusMeterRegistry registry;

    public MetricsEndpoint(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    @Read(produces = "text/plain; version=0.0.4; charset=utf-8")
    public String scrape() {
        return registry.scrape();
    }
}
