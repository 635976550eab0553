package io.castvault.api;

import io.castvault.api.ops.Draining;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.Micronaut;
import sun.misc.Signal;

public final class Application {
    private Application() {
    }

    public static void main(String[] args) {
        ApplicationContext context = Micronaut.build(args).banner(false).mainClass(Application.class).start();
        // The JVM's own SIGTERM handling exits with 143 whatever the hooks do; a drained, clean stop is exit 0,
        // so an orchestrator can tell a rolling restart from a crash.
        Signal.handle(new Signal("TERM"), signal -> Thread.ofPlatform().name("castvault-shutdown").start(() -> {
            context.findBean(Draining.class).ifPresent(Draining::begin);
            // stop() publishes the shutdown event: the HTTP server stops accepting and waits (bounded by
            // SHUTDOWN_GRACE_PERIOD) for in-flight requests, the scheduler for a running sweep; then beans close
            context.stop();
            System.exit(0);
        }));
    }
}
