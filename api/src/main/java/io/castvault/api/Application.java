package io.castvault.api;

import io.castvault.api.ops.Draining;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.Micronaut;
import sun.misc.Signal;

public final class Application {
    private Application() {
    }

    public static void main(String[] args) {
        // before the first logger exists: logback.xml picks its appender by this name, and an unknown name
        // would silently drop every log line
        String format = System.getenv("LOG_FORMAT");
        if (format != null && !format.isBlank()) {
            format = format.trim().toLowerCase(java.util.Locale.ROOT);
            if (!format.equals("text") && !format.equals("json")) {
                System.err.println("LOG_FORMAT must be text or json, not \"" + System.getenv("LOG_FORMAT") + "\"");
                System.exit(2);
            }
            System.setProperty("LOG_FORMAT", format);
        }
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
