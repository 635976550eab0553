package io.castvault.api.ops;

import io.micronaut.runtime.graceful.GracefulShutdownCapable;
import jakarta.inject.Singleton;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Set once the service has begun to shut down: readiness answers 503 from then on and the sweeper starts no new
 * batch. The HTTP server's own graceful shutdown stops accepting connections and lets in-flight requests finish.
 */
@Singleton
public class Draining implements GracefulShutdownCapable {
    private volatile boolean draining;

    public boolean draining() {
        return draining;
    }

    public void begin() {
        draining = true;
    }

    @Override
    public CompletionStage<?> shutdownGracefully() {
        begin();
        return CompletableFuture.completedFuture(null);
    }
}
