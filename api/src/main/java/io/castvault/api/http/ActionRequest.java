package io.castvault.api.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Ids;
import io.castvault.core.Text;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A JSON request body read field by field: each accessor names the field in its error, so a client learns
 * exactly what was missing ({@code MISSING_FIELDS}) or malformed ({@code INVALID_INPUT}).
 */
public final class ActionRequest {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** String fields kept as the UTF-8 bytes they stand for (a chunk is hashed and stored as bytes). */
    private static final Set<String> BULK_FIELDS = Set.of("chunk_data");
    /** What is allocated for a body before more of it has arrived: a 64 KiB chunk's body in one piece. */
    private static final int FIRST_READ = 256 * 1024;

    private final ObjectNode fields;
    /** {@link #BULK_FIELDS} as read by {@link FlatJsonObject}; empty when Jackson read the body. */
    private final Map<String, byte[]> bulk;

    private ActionRequest(ObjectNode fields, Map<String, byte[]> bulk) {
        this.fields = fields;
        this.bulk = bulk;
    }

    /**
     * Reads the body from a stream: the caller bounds it (see {@link LimitedBody}); {@code announcedLength} is its
     * {@code Content-Length}, -1 when it is sent chunked.
     */
    public static ActionRequest parse(InputStream json, long announcedLength) {
        byte[] body;
        try {
            body = read(new StrictUtf8(json), announcedLength);
        } catch (IOException e) {
            throw unreadable(e);
        }
        FlatJsonObject.Fields flat = FlatJsonObject.read(body, BULK_FIELDS, MAPPER);
        if (flat != null) {
            return new ActionRequest(flat.values(), flat.bulk());
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(body);
        } catch (IOException e) {
            throw unreadable(e);
        }
        if (!(tree instanceof ObjectNode object)) {
            throw CastvaultException.invalid("request body must be a JSON object");
        }
        return new ActionRequest(object, Map.of());
    }

    private static byte[] read(InputStream in, long announcedLength) throws IOException {
        if (announcedLength < 0 || announcedLength > Integer.MAX_VALUE - 8) {
            return in.readAllBytes();
        }
        int announced = (int) announcedLength;
        // grown as the bytes arrive: a client that announces the limit and sends slowly holds what it sent
        byte[] body = new byte[Math.min(announced, FIRST_READ)];
        int n = in.readNBytes(body, 0, body.length);
        while (n == body.length && n < announced) {
            body = Arrays.copyOf(body, (int) Math.min(announced, 2L * body.length));
            n += in.readNBytes(body, n, body.length - n);
        }
        if (n < announced) {
            throw CastvaultException.invalid("the request body is shorter than its Content-Length");
        }
        if (in.read() >= 0) {
            throw CastvaultException.invalid("the request body is longer than its Content-Length");
        }
        return body;
    }

    private static CastvaultException unreadable(IOException e) {
        // a string beyond the parser's own limit (about 20 M characters) is too large, not malformed
        boolean tooDeep = e instanceof StreamConstraintsException && String.valueOf(e.getMessage()).contains("nesting");
        if (tooDeep) {
            return CastvaultException.invalid("request body is nested too deeply");
        }
        if (e instanceof LimitedBody.TooLarge || e instanceof StreamConstraintsException) {
            return new CastvaultException(ErrorCode.PAYLOAD_TOO_LARGE, e instanceof LimitedBody.TooLarge
                    ? e.getMessage() : "a value in the request body is too large");
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StrictUtf8.Malformed) {
                return CastvaultException.invalid("request body is not valid UTF-8");
            }
        }
        return CastvaultException.invalid("request body is not valid JSON");
    }

    private JsonNode present(String field) {
        byte[] bytes = bulk.get(field);
        if (bytes != null) {
            return TextNode.valueOf(new String(bytes, StandardCharsets.UTF_8));
        }
        JsonNode n = fields.get(field);
        return n == null || n.isNull() ? null : n;
    }

    /** A string field as the UTF-8 bytes it stands for, without making a Java string of it. */
    public byte[] optionalUtf8(String field) {
        byte[] bytes = bulk.get(field);
        if (bytes != null) {
            return bytes;
        }
        String s = text(field);
        if (s == null) {
            return null;
        }
        // Jackson reads an unpaired surrogate escape into the string, and UTF-8 has no form for it
        if (Text.hasUnpairedSurrogate(s)) {
            throw CastvaultException.invalid(field + " holds an unpaired surrogate escape (\\uD800-\\uDFFF)");
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether {@code field} was read from the body's bytes by {@link FlatJsonObject} (for tests of that path). */
    boolean isBulk(String field) {
        return bulk.containsKey(field);
    }

    public String requiredString(String field) {
        String s = optionalString(field);
        if (s == null || s.isEmpty()) {
            throw CastvaultException.missing(field);
        }
        return s;
    }

    /** A string field that may go to the database or into JSON as it is (see {@link Text}). */
    public String optionalString(String field) {
        return Text.requireStorable(field, text(field));
    }

    private String text(String field) {
        JsonNode n = present(field);
        if (n == null) {
            return null;
        }
        if (!n.isTextual()) {
            throw CastvaultException.invalid(field + " must be a string");
        }
        return n.textValue();
    }

    public UUID requiredUuid(String field) {
        JsonNode n = present(field);
        if (n == null) {
            throw CastvaultException.missing(field);
        }
        if (!n.isTextual()) {
            throw CastvaultException.invalid(field + " must be a UUID string");
        }
        return Ids.parse(field, n.textValue());
    }

    public UUID optionalUuid(String field) {
        return present(field) == null ? null : requiredUuid(field);
    }

    public Long optionalLong(String field) {
        JsonNode n = present(field);
        if (n == null) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw CastvaultException.invalid(field + " must be an integer");
        }
        return n.longValue();
    }

    public int optionalInt(String field, int defaultValue, int min, int max) {
        Long v = optionalLong(field);
        if (v == null) {
            return defaultValue;
        }
        if (v < min || v > max) {
            throw CastvaultException.invalid(field + " must be between " + min + " and " + max);
        }
        return v.intValue();
    }

    /** A number from 0 to {@code max}; NaN, infinities and anything beyond are refused. */
    public Double optionalNonNegativeNumber(String field, double max) {
        JsonNode n = present(field);
        if (n == null) {
            return null;
        }
        if (!n.isNumber() || !(n.doubleValue() >= 0 && n.doubleValue() <= max)) {
            throw CastvaultException.invalid(field + " must be a number from 0 to " + BigDecimal.valueOf(max).toPlainString());
        }
        return n.doubleValue();
    }

    public Boolean optionalBoolean(String field) {
        JsonNode n = present(field);
        if (n == null) {
            return null;
        }
        if (!n.isBoolean()) {
            throw CastvaultException.invalid(field + " must be true or false");
        }
        return n.booleanValue();
    }

    /** A nested object field (e.g. {@code custom_storage}), read with the same checks as the body. */
    public ActionRequest optionalObject(String field) {
        JsonNode n = present(field);
        if (n == null) {
            return null;
        }
        if (!(n instanceof ObjectNode object)) {
            throw CastvaultException.invalid(field + " must be an object");
        }
        return new ActionRequest(object, Map.of());
    }
}
