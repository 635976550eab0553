package io.castvault.recording;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;

/** JSON of the documents the use cases store (the summary); the API's JSON is built in api/http. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static ObjectNode parseObject(String json) {
        try {
            JsonNode node = MAPPER.readTree(json);
            return node instanceof ObjectNode o ? o : MAPPER.createObjectNode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whole numbers are written without a fraction (120, not 120.0), as clients of the reference expect. */
    static void putNumber(ObjectNode o, String field, double value) {
        // JSON has no Infinity or NaN (Jackson would write a string); the database refuses them since V3
        if (!Double.isFinite(value)) {
            o.putNull(field);
        } else if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            o.put(field, (long) value);
        } else {
            o.put(field, value);
        }
    }
}
