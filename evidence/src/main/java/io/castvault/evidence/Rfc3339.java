package io.castvault.evidence;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** UTC timestamps in signed documents: RFC 3339, always with milliseconds, so equal instants print equally. */
final class Rfc3339 {
    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Rfc3339() {
    }

    static String format(Instant t) {
        return FORMAT.format(t);
    }

    static Instant parse(String s) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException | NullPointerException e) {
            throw new IllegalArgumentException("not an RFC 3339 time: " + s);
        }
    }
}
