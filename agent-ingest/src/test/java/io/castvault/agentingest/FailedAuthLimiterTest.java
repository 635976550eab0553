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
}
