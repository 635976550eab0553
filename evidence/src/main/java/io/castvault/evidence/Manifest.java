package io.castvault.evidence;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.storage.ObjectKey;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * What a sealed recording's manifest says, as a plain record so any seal path can build one. {@code objects} are
 * the objects that must exist and match (the sealed cast and the summary); {@code chunks} are the chunks as they
 * were received, for the record, and are not expected to exist after sealing.
 */
public record Manifest(UUID orgId, UUID sessionId, UUID machineId, UUID userId, String sessionType, Instant startedAt,
                       Instant endedAt, Double durationSeconds, List<StoredObject> objects, List<Chunk> chunks,
                       String recordingSha256, Instant sealedAt) {
    public static final String FORMAT = "castvault-manifest/1";

    public record StoredObject(ObjectKey key, long bytes, String sha256) {
    }

    public record Chunk(int index, long bytes, String sha256) {
    }

    /** The canonical JSON that is signed, naming the key that signs it. */
    public byte[] toJson(String keyFingerprint) {
        ObjectNode m = CanonicalJson.MAPPER.createObjectNode();
        m.put("format", FORMAT);
        m.put("org_id", orgId.toString());
        m.put("session_id", sessionId.toString());
        m.put("machine_id", machineId == null ? null : machineId.toString());
        m.put("user_id", userId.toString());
        m.put("session_type", sessionType);
        m.put("started_at", Rfc3339.format(startedAt));
        m.put("ended_at", endedAt == null ? null : Rfc3339.format(endedAt));
        if (durationSeconds == null) {
            m.putNull("duration_seconds");
        } else {
            m.put("duration_seconds", durationSeconds);
        }
        ArrayNode objs = m.putArray("objects");
        for (StoredObject o : objects) {
            objs.addObject().put("key", o.key().value()).put("bytes", o.bytes()).put("sha256", o.sha256());
        }
        ArrayNode cs = m.putArray("chunks");
        for (Chunk c : chunks) {
            cs.addObject().put("index", c.index()).put("bytes", c.bytes()).put("sha256", c.sha256());
        }
        m.put("recording_sha256", recordingSha256);
        m.put("sealed_at", Rfc3339.format(sealedAt));
        m.put("key_fingerprint", keyFingerprint);
        return CanonicalJson.bytes(m);
    }
}
