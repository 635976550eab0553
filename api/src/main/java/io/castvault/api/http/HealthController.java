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
 * {@code GET /health}: 200 while PostgreSQL answers, 503 when it does not. The object store and NATS are reported
 * but do not fail the check (issue 12): with the store away, everything that only needs the database (settings,
 * {@code list}, {@code get} of metadata, the dashboard) still works, and a balancer routing on this check would
 * otherwise take every instance out at once over a store they all share. {@code /health/ready} is the check that
 * fails on the store. A stalled store is reported "down" quickly instead of making the check hang (see
 * {@link StoreHealth}).
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
        boolean databaseUp = "up".equals(database);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", !databaseUp ? "down" : "up".equals(storage) ? "up" : "degraded");
        body.put("database", database);
        body.put("object_store", storage);
        events.health().ifPresent(nats -> body.put("nats", nats)); // issue 16 hook
        return HttpResponse.<Map<String, Object>>status(databaseUp ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).body(body);
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
