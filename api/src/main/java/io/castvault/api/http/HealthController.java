package io.castvault.api.http;

import io.castvault.api.EventsRuntime;
import io.castvault.db.Database;
import io.castvault.storage.BlobStore;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import jakarta.annotation.PreDestroy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /health}: 200 only when PostgreSQL and the object store both answer. NATS, when configured, is
 * reported but does not fail the check: events wait in the outbox while it is away. A stalled object store makes
 * the check say "down" quickly instead of making it hang (see {@link StoreHealth}).
 */
@Controller("/health")
@ExecuteOn(TaskExecutors.BLOCKING)
public class HealthController {
    /** How old the object store's last answer may be and still be given at once. */
    static final Duration STORE_FRESHNESS = Duration.ofSeconds(1);
    /** How long the store may take to answer before it counts as down. */
    static final Duration STORE_PATIENCE = Duration.ofSeconds(1);

    private final Database db;
    private final StoreHealth store;
    private final EventsRuntime events;

    public HealthController(Database db, BlobStore blobs, EventsRuntime events) {
        this.db = db;
        this.store = new StoreHealth(blobs::ping, STORE_FRESHNESS, STORE_PATIENCE);
        this.events = events;
    }

    @Get
    public HttpResponse<Map<String, Object>> health() {
        String database = check(db::ping);
        String storage = store.up() ? "up" : "down";
        boolean up = "up".equals(database) && "up".equals(storage);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "up" : "down");
        body.put("database", database);
        body.put("object_store", storage);
        events.health().ifPresent(nats -> body.put("nats", nats)); // issue 16 hook
        return HttpResponse.<Map<String, Object>>status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).body(body);
    }

    @PreDestroy
    public void close() {
        store.close();
    }

    private static String check(Runnable probe) {
        try {
            probe.run();
            return "up";
        } catch (RuntimeException e) {
            return "down";
        }
    }
}
