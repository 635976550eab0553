package io.castvault.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.model.Recording;
import io.castvault.db.StatusStats;
import io.castvault.recording.Recordings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON shapes of CONTRACT.md for recordings ({@code get}, {@code list}). */
final class RecordingJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private RecordingJson() {
    }

    static Map<String, Object> details(Recordings.Details d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("recording", recording(d.recording()));
        m.put("r2_data", d.summary());
        return m;
    }

    static Map<String, Object> page(Recordings.Page p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("recordings", p.recordings().stream().map(RecordingJson::recording).toList());
        m.put("stats", p.stats().stream().map(RecordingJson::stats).toList());
        // CONTRACT.md §6: list accepts and returns an opaque cursor (null on the last page)
        m.put("cursor", p.nextCursor());
        return m;
    }

    private static Map<String, Object> stats(StatusStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", s.status().dbValue());
        m.put("count", s.count());
        m.put("total_duration", s.totalDuration());
        return m;
    }

    /** The row as {@code get} and {@code list} show it; metadata also tells the chunks and bytes received. */
    static ObjectNode recording(Recording r) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("id", r.id().toString());
        o.put("org_id", r.orgId().toString());
        o.put("machine_id", r.machineId() == null ? null : r.machineId().toString());
        o.put("machine_name", r.machineName());
        o.put("user_id", r.userId().toString());
        o.put("session_type", r.sessionType());
        o.put("status", r.status().dbValue());
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
        // which store, not which bucket: the org's admins see the bucket in the settings, auditors need not
        o.put("storage", r.customStore() ? "custom" : "platform");
        return o;
    }

    private static ObjectNode parseObject(String json) {
        try {
            JsonNode node = MAPPER.readTree(json);
            return node instanceof ObjectNode o ? o : MAPPER.createObjectNode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whole numbers are written without a fraction (120, not 120.0), as clients of the reference expect. */
    private static void putNumber(ObjectNode o, String field, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            o.put(field, (long) value);
        } else {
            o.put(field, value);
        }
    }
}
