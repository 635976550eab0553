package io.castvault.api.http;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The object store's part of {@code /health}, which must not hang with the store: a stalled store would hold
 * every health check for the SDK's whole call timeout, and a load balancer polling {@code /health} would see the
 * service itself hang. One probe runs at a time. A result younger than {@code freshness} is answered at once (and
 * a new probe started behind it), so a client polling often gets an immediate answer that is at most that old; a
 * probe that has not answered for {@code patience} means "down" at once, and so does a store that was down at its
 * last answer until a probe says otherwise (a recovery shows on the next call after it); otherwise the caller
 * waits for the probe, at most {@code patience}.
 */
final class StoreHealth implements AutoCloseable {
    private final Runnable ping;
    private final long freshnessNanos;
    private final long patienceNanos;
    // a probe may hang for the store's whole call timeout: it must not take a request worker with it
    private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
    private CompletableFuture<Boolean> inflight;
    private long inflightSince;
    private boolean lastUp;
    private long lastAt;
    private boolean answered;

    StoreHealth(Runnable ping, Duration freshness, Duration patience) {
        this.ping = ping;
        this.freshnessNanos = freshness.toNanos();
        this.patienceNanos = patience.toNanos();
    }

    boolean up() {
        CompletableFuture<Boolean> probe;
        long waitNanos;
        synchronized (this) {
            long now = System.nanoTime();
            if (inflight != null && !inflight.isDone() && now - inflightSince >= patienceNanos) {
                return false;
            }
            if (inflight == null || inflight.isDone()) {
                inflightSince = now;
                inflight = CompletableFuture.supplyAsync(this::probeOnce, probes);
            }
            if (answered && (now - lastAt < freshnessNanos || !lastUp)) {
                return lastUp;
            }
            probe = inflight;
            waitNanos = patienceNanos - (now - inflightSince);
        }
        try {
            return probe.get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean probeOnce() {
        boolean up;
        try {
            ping.run();
            up = true;
        } catch (RuntimeException e) {
            up = false;
        }
        synchronized (this) {
            lastUp = up;
            lastAt = System.nanoTime();
            answered = true;
        }
        return up;
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }
}
