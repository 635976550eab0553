package io.castvault.recording;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.db.RecordingRow;

import java.io.IOException;
import java.io.UncheckedIOException;

/** JSON shapes of CONTRACT.md that the use cases produce (summary document, recording rows). */
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

    /** The row as {@code get} and {@code list} show it; metadata also tells the chunks and bytes received. */
    static ObjectNode recording(RecordingRow r) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("id", r.id().toString());
        o.put("org_id", r.orgId().toString());
        o.put("machine_id", r.machineId() == null ? null : r.machineId().toString());
        o.put("machine_name", r.machineName());
        o.put("user_id", r.userId().toString());
        o.put("session_type", r.sessionType());
        o.put("status", r.status());
        o.put("started_at", r.startedAt().toString());
        o.put("ended_at", r.endedAt() == null ? null : r.endedAt().toString());
        if (r.durationSeconds() == null) {
            o.putNull("duration_seconds");
        } else {
            putNumber(o, "duration_seconds", r.durationSeconds());
        }
        ObjectNode metadata = parseObject(r.metadataJson());
        metadata.put("chunks_received", r.chunkCount());
        metadata.put("bytes_received", r.byteCount());
        o.set("metadata", metadata);
        o.put("r2_key", r.r2Key());
        o.put("legal_hold", r.legalHold());
        o.put("legal_hold_reason", r.legalHoldReason());
        return o;
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
