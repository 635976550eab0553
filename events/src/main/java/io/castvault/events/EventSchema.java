package io.castvault.events;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;

/**
 * The published payload schema ({@code castvault-events.schema.json}, shipped in this jar) and a check of a
 * payload against it. The check understands the subset the schema uses (type, required, properties,
 * additionalProperties false, enum, const, uuid format), so tests can hold the code to the document.
 */
public final class EventSchema {
    public static final String RESOURCE = "castvault-events.schema.json";
    private static final JsonNode SCHEMA = load();

    private EventSchema() {
    }

    private static JsonNode load() {
        try (InputStream in = EventSchema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the jar");
            }
            return Events.JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode schema() {
        return SCHEMA;
    }

    /** What is wrong with {@code payload}; empty when it matches the schema. */
    public static List<String> problems(JsonNode payload) {
        List<String> out = new ArrayList<>();
        check("", payload, SCHEMA, out);
        String type = payload.path("type").asText();
        JsonNode def = SCHEMA.path("$defs").path(type);
        if (def.isMissingNode()) {
            out.add("unknown type " + type);
        } else {
            check("data", payload.path("data"), def, out);
        }
        return out;
    }

    private static void check(String path, JsonNode value, JsonNode schema, List<String> out) {
        if (schema.has("type") && !typeMatches(value, schema.get("type"))) {
            out.add(path + ": " + value.getNodeType() + " is not " + schema.get("type"));
            return;
        }
        if (schema.has("enum") && !contains(schema.get("enum"), value)) {
            out.add(path + ": " + value + " is not one of " + schema.get("enum"));
        }
        if ("uuid".equals(schema.path("format").asText()) && value.isTextual()) {
            try {
                UUID.fromString(value.asText());
            } catch (IllegalArgumentException e) {
                out.add(path + ": " + value + " is not a UUID");
            }
        }
        if (schema.has("pattern") && value.isTextual() && !value.asText().matches(schema.get("pattern").asText())) {
            out.add(path + ": " + value + " does not match " + schema.get("pattern"));
        }
        if (value.isObject()) {
            for (JsonNode req : schema.path("required")) {
                if (!value.has(req.asText())) {
                    out.add(path + ": " + req.asText() + " is missing");
                }
            }
            JsonNode props = schema.path("properties");
            for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (props.has(f)) {
                    check(path + "." + f, value.get(f), props.get(f), out);
                } else if (schema.path("additionalProperties").isBoolean() && !schema.get("additionalProperties").asBoolean()) {
                    out.add(path + ": " + f + " is not in the schema");
                }
            }
        }
        if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                check(path + "[" + i + "]", value.get(i), schema.get("items"), out);
            }
        }
    }

    private static boolean typeMatches(JsonNode v, JsonNode type) {
        if (type.isArray()) {
            for (JsonNode t : type) {
                if (typeMatches(v, t)) {
                    return true;
                }
            }
            return false;
        }
        return switch (type.asText()) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber();
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> false;
        };
    }

    private static boolean contains(JsonNode array, JsonNode v) {
        for (JsonNode e : array) {
            if (e.equals(v)) {
                return true;
            }
        }
        return false;
    }
}
