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

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /health}: 200 only when PostgreSQL and the object store both answer. NATS, when configured, is
 * reported but does not fail the check: events wait in the outbox while it is away.
 */
@Controller("/health")
@ExecuteOn(TaskExecutors.BLOCKING)
public class HealthController {
    private final Database db;
    private final BlobStore blobs;
    private final EventsRuntime events;

    public HealthController(Database db, BlobStore blobs, EventsRuntime events) {
        this.db = db;
        this.blobs = blobs;
        this.events = events;
    }

    @Get
    public HttpResponse<Map<String, Object>> health() {
        String database = check(db::ping);
        String storage = check(blobs::ping);
        boolean up = "up".equals(database) && "up".equals(storage);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "up" : "down");
        body.put("database", database);
        body.put("object_store", storage);
        events.health().ifPresent(nats -> body.put("nats", nats)); // issue 16 hook
        return HttpResponse.<Map<String, Object>>status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).body(body);
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
