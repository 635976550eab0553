package io.castvault.api.ops;

import io.castvault.core.CastvaultException;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import jakarta.annotation.PreDestroy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Probes for an orchestrator: {@code /health/live} says only that the process serves HTTP (restarting it would
 * not help a database outage); {@code /health/ready} asks every {@link ReadinessCheck} at once, each bounded, and
 * says how many orgs' own stores are failing. Those do not make the instance unready: an org's bucket being down is
 * that org's 503, and another instance would fare no better.
 */
@Controller("/health")
@ExecuteOn(TaskExecutors.BLOCKING)
public class ProbeController implements AutoCloseable {
    private static final long CHECK_TIMEOUT_MILLIS = 3_000;

    private final List<ReadinessCheck> checks;
    private final Draining draining;
    private final FailingStores failingStores;
    // the probes must not queue behind the request workers they report on
    private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();

    public ProbeController(List<ReadinessCheck> checks, Draining draining, FailingStores failingStores) {
        this.checks = checks.stream().sorted(Comparator.comparing(ReadinessCheck::name)).toList();
        this.draining = draining;
        this.failingStores = failingStores;
    }

    @Get("/live")
    public Map<String, Object> live() {
        return Map.of("status", "up");
    }

    @Get("/ready")
    public HttpResponse<Map<String, Object>> ready() {
        List<CompletableFuture<Map<String, Object>>> running = new ArrayList<>();
        for (ReadinessCheck check : checks) {
            running.add(CompletableFuture.supplyAsync(() -> run(check), probes));
        }
        Map<String, Object> results = new LinkedHashMap<>();
        boolean up = !draining.draining();
        for (int i = 0; i < checks.size(); i++) {
            Map<String, Object> result;
            try {
                result = running.get(i).get(CHECK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                result = Map.of("status", "down", "latency_ms", CHECK_TIMEOUT_MILLIS, "error", "timed out");
            } catch (Exception e) {
                result = Map.of("status", "down", "latency_ms", 0, "error", "probe failed");
            }
            up &= "up".equals(result.get("status"));
            results.put(checks.get(i).name(), result);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "up" : "down");
        body.put("draining", draining.draining());
        body.put("checks", results);
        body.put("custom_stores", Map.of("failing", failingStores.count()));
        return HttpResponse.<Map<String, Object>>status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).body(body);
    }

    private static Map<String, Object> run(ReadinessCheck check) {
        long start = System.nanoTime();
        Map<String, Object> result = new LinkedHashMap<>();
        try {
            check.check();
            result.put("status", "up");
        } catch (RuntimeException e) {
            result.put("status", "down");
            // the error code only: a driver message may name hosts or users
            result.put("error", e instanceof CastvaultException ce ? ce.code().name() : "unreachable");
        }
        result.put("latency_ms", Math.round((System.nanoTime() - start) / 1e5) / 10.0);
        return result;
    }

    @PreDestroy
    @Override
    public void close() {
        probes.shutdownNow();
    }
}
