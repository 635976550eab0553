package io.castvault.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A gateway's {@code audit.session.end} event (seed 003): {@code tenant_id} is the org, {@code device_id} the
 * machine, {@code session_id} the gateway's session (what {@code start}'s {@code gateway_session_id} names).
 * Every field is bounded here, where the message is parsed.
 */
public record SessionEndEvent(String sessionId, UUID userId, UUID orgId, UUID deviceId, Instant startTime,
                              Instant endTime, String sourceIp, String reason) {
    public static final int MAX_BYTES = 16 * 1024;
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._:@/+=-]{1,128}");
    private static final Pattern SHORT_TEXT = Pattern.compile("[\\x20-\\x7E]{0,64}");

    /** A message that can never be processed, however often it is redelivered. */
    public static final class Malformed extends Exception {
        Malformed(String message) {
            super(message);
        }
    }

    /** Whole seconds and fractions, or null when the gateway did not say when the session started. */
    public Double durationSeconds() {
        return startTime == null ? null : Duration.between(startTime, endTime).toMillis() / 1000.0;
    }

    public static SessionEndEvent parse(byte[] body) throws Malformed {
        if (body == null || body.length == 0) {
            throw new Malformed("empty message");
        }
        if (body.length > MAX_BYTES) {
            throw new Malformed("message of " + body.length + " bytes; the limit is " + MAX_BYTES);
        }
        JsonNode n;
        try {
            n = Events.JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new Malformed("not JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new Malformed("unreadable: " + e.getMessage());
        }
        if (n == null || !n.isObject()) {
            throw new Malformed("not a JSON object");
        }
        String sessionId = text(n, "session_id", true);
        if (!TOKEN.matcher(sessionId).matches()) {
            throw new Malformed("session_id must be 1..128 characters of [A-Za-z0-9._:@/+=-]");
        }
        Instant start = time(n, "start_time", false);
        Instant end = time(n, "end_time", true);
        if (start != null && end.isBefore(start)) {
            throw new Malformed("end_time is before start_time");
        }
        return new SessionEndEvent(sessionId, uuid(n, "user_id", false), uuid(n, "tenant_id", true),
                uuid(n, "device_id", true), start, end, shortText(n, "source_ip"), shortText(n, "reason"));
    }

    private static String text(JsonNode n, String field, boolean required) throws Malformed {
        JsonNode v = n.get(field);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().isEmpty())) {
            if (required) {
                throw new Malformed(field + " is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new Malformed(field + " must be a string");
        }
        return v.asText();
    }

    private static UUID uuid(JsonNode n, String field, boolean required) throws Malformed {
        String s = text(n, field, required);
        if (s == null) {
            return null;
        }
        try {
            if (s.length() != 36) {
                throw new IllegalArgumentException();
            }
            return UUID.fromString(s);
        } catch (IllegalArgumentException e) {
            throw new Malformed(field + " must be a UUID");
        }
    }

    private static Instant time(JsonNode n, String field, boolean required) throws Malformed {
        String s = text(n, field, required);
        if (s == null) {
            return null;
        }
        if (s.length() > 64) {
            throw new Malformed(field + " is too long");
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw new Malformed(field + " must be an RFC 3339 time");
        }
    }

    private static String shortText(JsonNode n, String field) throws Malformed {
        String s = text(n, field, false);
        if (s != null && !SHORT_TEXT.matcher(s).matches()) {
            throw new Malformed(field + " must be at most 64 printable ASCII characters");
        }
        return s;
    }
}
