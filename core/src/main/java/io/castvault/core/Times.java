package io.castvault.core;

import java.time.Instant;

/**
 * The instants a client may name (filters, cursors): years 1 to 9999, which ISO-8601's four-digit years and
 * PostgreSQL's {@code timestamptz} both hold. Outside them Java still parses a time the database refuses.
 */
public final class Times {
    public static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    private Times() {
    }

    public static boolean storable(Instant t) {
        return !t.isBefore(EARLIEST) && !t.isAfter(LATEST);
    }

    /** An instant as the microseconds since the epoch that cursors carry (PostgreSQL's precision). */
    public static long epochMicros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    /** The instant a cursor's microseconds name; IllegalArgumentException outside {@link #storable}. */
    public static Instant ofEpochMicros(long micros) {
        Instant t = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                Math.floorMod(micros, 1_000_000L) * 1_000L);
        if (!storable(t)) {
            throw new IllegalArgumentException("outside years 1-9999");
        }
        return t;
    }
}
