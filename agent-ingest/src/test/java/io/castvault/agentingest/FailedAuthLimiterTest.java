package io.castvault.agentingest;

import io.castvault.core.ErrorCode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FailedAuthLimiterTest {
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final FailedAuthLimiter limiter = new FailedAuthLimiter(3, Duration.ofSeconds(10), now::get);

    @Test
    void aBurstOfFailuresThenOneMorePerRefill() {
        for (int i = 0; i < 3; i++) {
            assertDoesNotThrow(() -> limiter.check("a"));
            limiter.recordFailure("a");
        }
        RateLimitedException e = assertThrows(RateLimitedException.class, () -> limiter.check("a"));
        assertEquals(ErrorCode.RATE_LIMITED, e.code());
        assertEquals(10, e.retryAfterSeconds());
        now.addAndGet(Duration.ofSeconds(4).toNanos());
        assertEquals(6, assertThrows(RateLimitedException.class, () -> limiter.check("a")).retryAfterSeconds());
        now.addAndGet(Duration.ofSeconds(6).toNanos());
        assertDoesNotThrow(() -> limiter.check("a"));
        limiter.recordFailure("a");
        assertThrows(RateLimitedException.class, () -> limiter.check("a"));
    }

    @Test
    void addressesAreIndependentAndSuccessesAreFree() {
        for (int i = 0; i < 5; i++) {
            limiter.recordFailure("a");
        }
        assertThrows(RateLimitedException.class, () -> limiter.check("a"));
        for (int i = 0; i < 100; i++) {
            assertDoesNotThrow(() -> limiter.check("b"));
        }
    }

    @Test
    void anAttemptTakesItsTokenAtOnceAndASuccessGivesItBack() throws Exception {
        FailedAuthLimiter fresh = new FailedAuthLimiter(3, Duration.ofHours(1), now::get);
        for (int i = 0; i < 10; i++) {
            fresh.attempt("ok").succeeded();
        }
        // three attempts in flight at once (none settled yet) spend the whole budget: a fourth is refused
        fresh.attempt("a");
        fresh.attempt("a");
        fresh.attempt("a");
        assertThrows(RateLimitedException.class, () -> fresh.attempt("a"));
        assertThrows(RateLimitedException.class, () -> fresh.check("a"));
        assertDoesNotThrow(() -> fresh.attempt("ok"));
        // many threads racing on one address get exactly the budget between them
        FailedAuthLimiter raced = new FailedAuthLimiter(5, Duration.ofHours(1));
        java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        for (int i = 0; i < 32; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    raced.attempt("burst");
                    granted.incrementAndGet();
                } catch (RateLimitedException | InterruptedException ignored) {
                    // refused
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(5, granted.get());
    }
}
