package io.castvault.api.config;

import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;

/**
 * Refuses to start with {@code MANAGEMENT_PORT} equal to {@code PORT}: on one port, {@code /metrics} would be
 * served next to the API, to everyone who can reach the API. An eager bean, so start-up fails before the server
 * binds.
 */
@Context
@Requires(notEnv = "cli")
public final class PortGuard {
    public PortGuard(@Value("${micronaut.server.port:8080}") int apiPort,
                     @Value("${endpoints.all.port:9464}") int managementPort) {
        check(apiPort, managementPort);
    }

    /** An API port of 0 or below is a random one (tests), which never equals the fixed management port. */
    static void check(int apiPort, int managementPort) {
        if (apiPort > 0 && apiPort == managementPort) {
            throw new IllegalStateException("MANAGEMENT_PORT (" + managementPort + ") must differ from PORT ("
                    + apiPort + "): on the same port /metrics would be served with the API");
        }
    }
}
