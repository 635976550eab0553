package io.castvault.api.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Ids;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
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

    private final ObjectNode body;

    private ActionRequest(ObjectNode body) {
        this.body = body;
    }

    /** Reads the body from a stream: the caller bounds it (see {@link LimitedBody}). */
    public static ActionRequest parse(InputStream json) {
        try {
            return of(MAPPER.readTree(new StrictUtf8(json)));
        } catch (IOException e) {
            throw unreadable(e);
        }
    }

    private static ActionRequest of(JsonNode node) {
        if (!(node instanceof ObjectNode object)) {
            throw CastvaultException.invalid("request body must be a JSON object");
        }
        return new ActionRequest(object);
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
        JsonNode n = body.get(field);
        return n == null || n.isNull() ? null : n;
    }

    public String requiredString(String field) {
        String s = optionalString(field);
        if (s == null || s.isEmpty()) {
            throw CastvaultException.missing(field);
        }
        return s;
    }

    public String optionalString(String field) {
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
        return new ActionRequest(object);
    }
}
