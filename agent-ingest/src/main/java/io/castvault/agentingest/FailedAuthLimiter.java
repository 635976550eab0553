package io.castvault.agentingest;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;

/**
 * Limits failed node-key authentications per source address with a token bucket: {@code burst} failures at
 * once, then one more per {@code refill}. An address out of tokens is refused before its key is even looked
 * at, so guessing stops; other addresses are never delayed, and successes cost nothing.
 *
 * <p>A key is looked up only under an {@link #attempt} that has already taken its token from the bucket (and
 * gives it back when the key was good): checking the budget and spending it are one step, so a burst of
 * concurrent guesses from one address gets exactly {@code burst} lookups, not one per request in flight.
 */
public final class FailedAuthLimiter {
    private final int burst;
    private final long refillNanos;
    private final Cache<String, Bucket> buckets;
    private final NanoClock clock;

    /** A monotonic clock in nanoseconds; tests drive their own. */
    public interface NanoClock {
        long nanoTime();
    }

    public FailedAuthLimiter(int burst, Duration refill) {
        this(burst, refill, System::nanoTime);
    }

    public FailedAuthLimiter(int burst, Duration refill, NanoClock clock) {
        if (burst < 1 || refill.isNegative() || refill.isZero()) {
            throw new IllegalArgumentException("burst must be positive and refill longer than zero");
        }
        this.burst = burst;
        this.refillNanos = refill.toNanos();
        this.clock = clock;
        // a bucket that has been idle long enough to be full again carries no information
        this.buckets = Caffeine.newBuilder().expireAfterAccess(refill.multipliedBy(burst)).maximumSize(100_000).build();
    }

    /** Throws {@link RateLimitedException} when {@code address} has no failures left to spend. */
    public void check(String address) {
        Bucket b = buckets.getIfPresent(address);
        if (b == null) {
            return;
        }
        long wait = b.waitNanos(clock.nanoTime());
        if (wait > 0) {
            throw new RateLimitedException(Math.max(1, (wait + 999_999_999L) / 1_000_000_000L));
        }
    }

    /** Spends one failure, e.g. for a request that never presented a key. */
    public void recordFailure(String address) {
        buckets.get(address, a -> new Bucket(clock.nanoTime())).take(clock.nanoTime());
    }

    /**
     * Takes one failure from {@code address}'s budget before a key is checked; {@link Attempt#succeeded()} gives it
     * back.
     *
     * @throws RateLimitedException when the budget is spent
     */
    public Attempt attempt(String address) {
        Bucket b = buckets.get(address, a -> new Bucket(clock.nanoTime()));
        long wait = b.tryTake(clock.nanoTime());
        if (wait > 0) {
            throw new RateLimitedException(Math.max(1, (wait + 999_999_999L) / 1_000_000_000L));
        }
        return new Attempt(b);
    }

    /** A key check in progress; a failed one simply keeps the token it took. */
    public final class Attempt {
        private final Bucket bucket;
        private boolean settled;

        private Attempt(Bucket bucket) {
            this.bucket = bucket;
        }

        public void succeeded() {
            if (!settled) {
                settled = true;
                bucket.giveBack();
            }
        }
    }

    private final class Bucket {
        private double tokens = burst;
        private long updated;

        Bucket(long now) {
            this.updated = now;
        }

        private void refill(long now) {
            tokens = Math.min(burst, tokens + (double) (now - updated) / refillNanos);
            updated = now;
        }

        synchronized void take(long now) {
            refill(now);
            tokens = Math.max(0, tokens - 1);
        }

        /** Takes a token if there is one (returns 0), else the nanoseconds until there is. */
        synchronized long tryTake(long now) {
            refill(now);
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) * refillNanos);
        }

        synchronized void giveBack() {
            tokens = Math.min(burst, tokens + 1);
        }

        /** Nanoseconds until one token is available; zero when one is. */
        synchronized long waitNanos(long now) {
            refill(now);
            return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) * refillNanos);
        }
    }
}
