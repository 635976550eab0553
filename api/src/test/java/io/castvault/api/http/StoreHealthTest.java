package io.castvault.api.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreHealthTest {
    private static final Duration FRESH = Duration.ofMillis(300);
    private static final Duration PATIENCE = Duration.ofMillis(1_000);
    /** An answer given "at once": far below the patience, with room for a busy machine. */
    private static final long AT_ONCE_MILLIS = 250;

    /** A store whose HEAD can be made to fail or to hang until released. */
    private static final class Store implements Runnable {
        final AtomicBoolean failing = new AtomicBoolean();
        final AtomicInteger calls = new AtomicInteger();
        volatile CountDownLatch stall = new CountDownLatch(0);

        @Override
        public void run() {
            calls.incrementAndGet();
            try {
                stall.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            if (failing.get()) {
                throw new IllegalStateException("down");
            }
        }
    }

    private static long millis(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void withoutAFreshAnswerTheCallerGetsTheProbesOwn() {
        Store store = new Store();
        try (StoreHealth health = new StoreHealth(store, FRESH, PATIENCE)) {
            assertTrue(health.up());
            store.failing.set(true);
            sleep(FRESH.toMillis() + 50);
            assertFalse(health.up(), "a stale answer is not given: the failing probe's is");
            store.failing.set(false);
            sleep(FRESH.toMillis() + 50);
            assertFalse(health.up(), "down at its last answer: down, without waiting, until a probe says otherwise");
            sleep(50);
            assertTrue(health.up(), "the probe behind that answer found the store back");
        }
    }

    @Test
    void aStalledStoreIsReportedDownQuicklyAndCallersNeverWaitLongerThanThePatience() {
        Store store = new Store();
        try (StoreHealth health = new StoreHealth(store, FRESH, PATIENCE)) {
            assertTrue(health.up());
            store.stall = new CountDownLatch(1);
            sleep(FRESH.toMillis() + 50);
            boolean[] first = new boolean[1];
            long waited = millis(() -> first[0] = health.up());
            assertFalse(first[0], "no answer within the patience is down");
            assertTrue(waited >= PATIENCE.toMillis() - 50 && waited < PATIENCE.toMillis() + 1_000, "waited " + waited + " ms");
            for (int i = 0; i < 20; i++) {
                boolean[] up = new boolean[1];
                long ms = millis(() -> up[0] = health.up());
                assertFalse(up[0]);
                assertTrue(ms < AT_ONCE_MILLIS, "a probe hanging past the patience answers at once, took " + ms + " ms");
            }
            assertEquals(2, store.calls.get(), "one probe at a time, however many callers");
            store.stall.countDown();
            sleep(50);
            assertTrue(health.up(), "the store is back: the next probe says so");
        }
    }

    @Test
    void aCallerPollingOftenIsAnsweredAtOnceFromTheFreshResult() {
        Store store = new Store();
        try (StoreHealth health = new StoreHealth(store, FRESH, PATIENCE)) {
            assertTrue(health.up());
            store.stall = new CountDownLatch(1);
            boolean[] up = new boolean[1];
            long ms = millis(() -> up[0] = health.up());
            assertTrue(up[0], "the answer of a moment ago");
            assertTrue(ms < AT_ONCE_MILLIS, "took " + ms + " ms");
            sleep(PATIENCE.toMillis() + 50);
            ms = millis(() -> up[0] = health.up());
            assertFalse(up[0], "the probe behind it has not answered for the patience");
            assertTrue(ms < AT_ONCE_MILLIS, "took " + ms + " ms");
            store.stall.countDown();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
