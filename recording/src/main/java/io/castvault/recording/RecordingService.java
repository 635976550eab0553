package io.castvault.recording;

import io.castvault.core.Hashing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.CastParser;
import io.castvault.core.CastSummary;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.ChunkRow;
import io.castvault.db.Database;
import io.castvault.db.MachineQueries;
import io.castvault.db.RecordingFilter;
import io.castvault.db.RecordingQueries;
import io.castvault.db.RecordingQueries.LockedRecording;
import io.castvault.db.RecordingRow;
import io.castvault.db.Role;
import io.castvault.db.SettingsQueries;
import io.castvault.db.StatusStats;
import io.castvault.db.Tx;
import io.castvault.events.Events;
import io.castvault.events.Outbox;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The recording lifecycle over both tiers. A write is acknowledged only once it is durable in the object store
 * and committed in PostgreSQL; a failure in either leaves the recording as it was, so the client's retry works.
 */
public final class RecordingService {
    public static final String CAST_CONTENT_TYPE = "application/x-asciicast";
    private static final Logger LOG = LoggerFactory.getLogger(RecordingService.class);
    private static final Pattern SESSION_TYPE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,31}");
    public static final int MAX_CHUNK_INDEX = 1_000_000;

    private final Database db;
    private final BlobStore blobs;
    private final RecordingDeleter deleter;
    private final long maxChunkBytes;

    public RecordingService(Database db, BlobStore blobs, long maxChunkBytes) {
        this.db = db;
        this.blobs = blobs;
        this.deleter = new RecordingDeleter(db, blobs);
        this.maxChunkBytes = maxChunkBytes;
    }

    public record Started(UUID sessionId, String status) {
    }

    public record ChunkStored(String stored, int chunkIndex) {
    }

    public record Details(ObjectNode recording, JsonNode r2Data) {
    }

    public record Page(List<ObjectNode> recordings, List<StatusStats> stats) {
    }

    public record CompleteRequest(Double durationSeconds, String recordingUrl, Long transcriptLines) {
    }

    public static String requireSessionType(String sessionType) {
        if (sessionType == null || sessionType.isEmpty()) {
            throw CastvaultException.missing("session_type");
        }
        if (!SESSION_TYPE.matcher(sessionType).matches()) {
            throw CastvaultException.invalid("session_type must be a short lowercase token such as \"ssh\"");
        }
        return sessionType;
    }

    public Started start(Caller caller, UUID machineId, String sessionType) {
        return start(caller, machineId, sessionType, null);
    }

    /** {@code gatewaySessionId}: the gateway's own session id, whose session-end event seals the recording. */
    public Started start(Caller caller, UUID machineId, String sessionType, String gatewaySessionId) {
        caller.requireRole(Role.ADMIN, Role.MEMBER);
        requireSessionType(sessionType);
        GatewaySessionSealing.requireGatewaySessionId(gatewaySessionId);
        UUID id = UUID.randomUUID();
        db.inOrg(caller.orgId(), tx -> {
            if (!SettingsQueries.get(tx).recordingEnabled()) {
                throw recordingDisabled();
            }
            if (MachineQueries.find(tx, machineId).isEmpty()) {
                throw CastvaultException.notFound("machine");
            }
            Instant startedAt = RecordingQueries.insert(tx, new RecordingQueries.NewRecording(
                    id, machineId, caller.userId(), sessionType, RecordingQueries.ACTIVE, "{}"));
            GatewaySessionSealing.bind(tx, id, gatewaySessionId); // issue 16 hook
            Outbox.append(tx, Events.recordingStarted(caller.orgId(), id, machineId, caller.userId(), sessionType, startedAt, gatewaySessionId)); // issue 16 hook
            return startedAt;
        });
        return new Started(id, RecordingQueries.ACTIVE);
    }

    public ChunkStored uploadChunk(Caller caller, UUID sessionId, int index, String chunkData) {
        if (index < 0 || index > MAX_CHUNK_INDEX) {
            throw CastvaultException.invalid("chunk_index must be between 0 and " + MAX_CHUNK_INDEX);
        }
        byte[] bytes = chunkData.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > maxChunkBytes) {
            throw new CastvaultException(ErrorCode.PAYLOAD_TOO_LARGE,
                    "chunk_data is " + bytes.length + " bytes; the limit is " + maxChunkBytes);
        }
        CastSummary cast = CastParser.inspect(chunkData, CastParser.forChunk(index == 0));
        if (cast.eventCount() == 0 && cast.header().isEmpty()) {
            throw CastvaultException.invalid("chunk_data holds no asciicast events");
        }
        byte[] sha = Hashing.sha256(bytes);
        ObjectKey key = ObjectKey.chunk(caller.orgId(), sessionId, index);
        ChunkRow chunk = new ChunkRow(index, sha, bytes.length, (int) cast.eventCount(),
                cast.lastTime().doubleValue(), cast.header().isPresent());
        boolean[] wrote = {false};
        try {
            db.inOrg(caller.orgId(), tx -> {
                LockedRecording rec = visible(RecordingQueries.lockForChunk(tx, sessionId, index));
                caller.requireWriter(rec.userId());
                requireActive(rec);
                Optional<ChunkRow> existing = RecordingQueries.findChunk(tx, sessionId, index);
                if (existing.isPresent()) {
                    if (Arrays.equals(existing.get().sha256(), sha)) {
                        return null; // an agent's retry of an acknowledged chunk
                    }
                    throw CastvaultException.conflict("chunk " + index + " was already stored with other content");
                }
                blobs.put(key, bytes, sha, CAST_CONTENT_TYPE);
                wrote[0] = true;
                RecordingQueries.insertChunk(tx, sessionId, chunk);
                return null;
            });
        } catch (RuntimeException e) {
            if (wrote[0] && !(e instanceof CastvaultException ce && ce.code() == ErrorCode.CONFLICT)) {
                // The object went up but the row did not commit: take the object back so nothing is left
                // without its row (a retry puts it again).
                removeQuietly(key);
            }
            throw e;
        }
        return new ChunkStored(key.value(), index);
    }

    public String complete(Caller caller, UUID sessionId, CompleteRequest request) {
        db.inOrg(caller.orgId(), tx -> {
            LockedRecording rec = visible(RecordingQueries.lock(tx, sessionId, true));
            caller.requireWriter(rec.userId());
            requireActive(rec);
            finish(tx, caller.orgId(), rec, request, false, null);
            return null;
        });
        return sessionId.toString();
    }

    /**
     * Writes the summary and marks the recording completed, inside the caller's transaction that holds the
     * row lock. The summary goes to the object store first: if that fails the transaction rolls back and the
     * recording stays active. {@code known} is the cast's digest when the caller already hashed exactly those
     * bytes; otherwise the stored chunks are read back, checked against their recorded hashes, and hashed.
     */
    void finish(Tx tx, UUID orgId, LockedRecording rec, CompleteRequest request, boolean autoCompleted, Digest known) {
        List<ChunkRow> chunks = RecordingQueries.chunks(tx, rec.id());
        Digest digest = known != null ? known : hashCast(orgId, rec.id(), chunks);
        double duration = request.durationSeconds() != null ? request.durationSeconds()
                : chunks.stream().mapToDouble(ChunkRow::lastEventTime).max().orElse(0);
        long lines = request.transcriptLines() != null ? request.transcriptLines()
                : chunks.stream().mapToLong(ChunkRow::eventCount).sum();
        String url = request.recordingUrl() != null ? request.recordingUrl() : castPath(orgId, rec.id());

        ObjectNode summary = Json.MAPPER.createObjectNode();
        summary.put("session_id", rec.id().toString());
        summary.put("org_id", orgId.toString());
        Json.putNumber(summary, "duration_seconds", duration);
        summary.put("recording_url", url);
        summary.put("transcript_lines", lines);
        summary.put("started_at", rec.startedAt().toString());
        summary.put("completed_at", Instant.now().toString());
        summary.put("format", "asciicast-v2");
        ArrayNode list = summary.putArray("chunks");
        for (ChunkRow c : chunks) {
            ObjectNode n = list.addObject();
            n.put("index", c.index());
            n.put("key", ObjectKey.chunk(orgId, rec.id(), c.index()).value());
            n.put("sha256", Hashing.hex(c.sha256()));
            n.put("bytes", c.byteLength());
            n.put("events", c.eventCount());
        }
        ArrayNode missing = summary.putArray("missing_chunks");
        int expected = 0;
        for (ChunkRow c : chunks) {
            for (; expected < c.index(); expected++) {
                missing.add(expected);
            }
            expected = c.index() + 1;
        }
        summary.put("recording_sha256", Hashing.hex(digest.sha256()));
        summary.put("recording_bytes", digest.length());
        if (autoCompleted) {
            summary.put("auto_completed", true);
        }

        byte[] body = Json.bytes(summary);
        ObjectKey key = ObjectKey.summary(orgId, rec.id());
        blobs.put(key, body, Hashing.sha256(body), "application/json");
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.put("recording_sha256", Hashing.hex(digest.sha256()));
        if (!missing.isEmpty()) {
            patch.set("missing_chunks", missing);
        }
        if (autoCompleted) {
            patch.put("auto_completed", true);
        }
        RecordingQueries.complete(tx, rec.id(), duration, key.value(), patch.toString());
        Outbox.append(tx, Events.recordingSealed(orgId, rec.id(), Hashing.hex(digest.sha256()), digest.length(), missing, chunks.size(), duration, key.value(), autoCompleted)); // issue 16 hook
    }

    record Digest(byte[] sha256, long length) {
    }

    private Digest hashCast(UUID orgId, UUID recordingId, List<ChunkRow> chunks) {
        MessageDigest md = Hashing.sha256();
        long total = 0;
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = new CastStream(blobs, orgId, recordingId, chunks, true)) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
                total += n;
            }
        } catch (CastStream.ChunkIntegrityException e) {
            LOG.error("recording {}: {}", recordingId, e.getMessage());
            throw new CastvaultException(ErrorCode.STORAGE_UNAVAILABLE,
                    e.getMessage() + "; the recording stays active", e);
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.RETRYABLE, "reading recording " + recordingId + " failed", e);
        } catch (UncheckedIOException e) {
            throw new StorageException(StorageException.Kind.RETRYABLE, "reading recording " + recordingId + " failed", e);
        }
        return new Digest(md.digest(), total);
    }

    public static String castPath(UUID orgId, UUID recordingId) {
        return "/api/session-recording/" + orgId + "/" + recordingId + "/cast";
    }

    public Details get(Caller caller, UUID sessionId) {
        RecordingRow row = db.inOrg(caller.orgId(), tx -> RecordingQueries.find(tx, sessionId))
                .orElseThrow(() -> CastvaultException.notFound("recording"));
        caller.requireReader(row.userId());
        JsonNode summary = null;
        if (row.r2Key() != null) {
            try (InputStream in = blobs.get(ObjectKey.summary(caller.orgId(), sessionId))) {
                summary = Json.MAPPER.readTree(in);
            } catch (IOException e) {
                throw new StorageException(StorageException.Kind.RETRYABLE, "reading the summary failed", e);
            } catch (StorageException e) {
                throw missingObject(e, sessionId);
            }
        }
        return new Details(Json.recording(row), summary);
    }

    public Page list(Caller caller, RecordingFilter filter, int limit, int offset) {
        caller.requireRole(Role.ADMIN, Role.AUDITOR);
        return db.inOrg(caller.orgId(), tx -> new Page(
                RecordingQueries.list(tx, filter, limit, offset).stream().map(Json::recording).toList(),
                RecordingQueries.stats(tx, filter)));
    }

    /** Opens the recording as one asciicast v2 stream; the caller must close it. */
    public InputStream openCast(Caller caller, UUID sessionId) {
        List<ChunkRow> chunks = db.inOrg(caller.orgId(), tx -> {
            RecordingRow row = RecordingQueries.find(tx, sessionId).orElseThrow(() -> CastvaultException.notFound("recording"));
            caller.requireReader(row.userId());
            return RecordingQueries.chunks(tx, sessionId);
        });
        if (!chunks.isEmpty()) {
            // Once streaming starts the status line is sent; find an unreachable store or a lost object before.
            ObjectKey first = ObjectKey.chunk(caller.orgId(), sessionId, chunks.get(0).index());
            if (blobs.head(first).isEmpty()) {
                throw missingObject(new StorageException(StorageException.Kind.NOT_FOUND, first + " is missing", null), sessionId);
            }
        }
        return new CastStream(blobs, caller.orgId(), sessionId, chunks, false);
    }

    public String delete(Caller caller, UUID sessionId) {
        caller.requireRole(Role.ADMIN);
        boolean marked = db.inOrg(caller.orgId(), tx -> RecordingQueries.markDeleting(tx, sessionId)
                && Outbox.appended(tx, Events.recordingDeleted(caller.orgId(), sessionId, Events.DeleteReason.ADMIN, caller.userId()))); // issue 16 hook
        if (!marked) {
            throw CastvaultException.notFound("recording");
        }
        deleter.deleteOne(caller.orgId(), sessionId);
        return sessionId.toString();
    }

    RecordingDeleter deleter() {
        return deleter;
    }

    /** Stores a whole recording in one step (agent ingest); the file is a validated asciicast v2 ending in a newline. */
    public UUID ingestCompleted(UUID orgId, UUID machineId, UUID ownerId, String sessionType, ObjectNode metadata,
                                java.nio.file.Path castFile, long byteLength, byte[] sha256, CastSummary cast,
                                Double durationSeconds) {
        requireSessionType(sessionType);
        UUID id = UUID.randomUUID();
        ObjectKey chunkKey = ObjectKey.chunk(orgId, id, 0);
        ObjectKey summaryKey = ObjectKey.summary(orgId, id);
        requireRecordingEnabled(orgId);
        List<ObjectKey> written = new ArrayList<>();
        try {
            blobs.put(chunkKey, castFile, sha256, CAST_CONTENT_TYPE);
            written.add(chunkKey);
            db.inOrg(orgId, tx -> {
                if (!SettingsQueries.get(tx).recordingEnabled()) {
                    throw recordingDisabled();
                }
                if (!MachineQueries.lockForReference(tx, machineId)) {
                    // deleted while the transcript was being received: its node key no longer counts
                    throw new CastvaultException(ErrorCode.UNAUTHORIZED, "unknown or revoked node key");
                }
                Instant startedAt = RecordingQueries.insert(tx, new RecordingQueries.NewRecording(
                        id, machineId, ownerId, sessionType, RecordingQueries.ACTIVE, metadata.toString()));
                RecordingQueries.insertChunk(tx, id, new ChunkRow(0, sha256, byteLength, (int) cast.eventCount(),
                        cast.lastTime().doubleValue(), true));
                written.add(summaryKey);
                finish(tx, orgId, new LockedRecording(id, RecordingQueries.ACTIVE, ownerId, startedAt),
                        new CompleteRequest(durationSeconds, null, null), false, new Digest(sha256, byteLength));
                return null;
            });
        } catch (RuntimeException e) {
            written.forEach(this::removeQuietly);
            throw e;
        }
        return id;
    }

    /** An object the database vouches for is gone: that is the store failing us, not an unknown recording. */
    private static StorageException missingObject(StorageException e, UUID recordingId) {
        if (e.kind() != StorageException.Kind.NOT_FOUND) {
            return e;
        }
        LOG.error("recording {}: {}", recordingId, e.getMessage());
        return new StorageException(StorageException.Kind.PERMANENT, "an object of recording " + recordingId
                + " is missing from the object store", e);
    }

    /** Fails with {@code RECORDING_DISABLED} unless the org records sessions; lets agent ingest refuse early. */
    public void requireRecordingEnabled(UUID orgId) {
        db.inOrg(orgId, tx -> {
            if (!SettingsQueries.get(tx).recordingEnabled()) {
                throw recordingDisabled();
            }
            return null;
        });
    }

    private static CastvaultException recordingDisabled() {
        return new CastvaultException(ErrorCode.RECORDING_DISABLED, "session recording is disabled for this org");
    }

    private void removeQuietly(ObjectKey key) {
        try {
            blobs.delete(List.of(key));
        } catch (RuntimeException e) {
            LOG.warn("could not remove {} after a failed write: {}", key, e.getMessage());
        }
    }

    private static LockedRecording visible(Optional<LockedRecording> rec) {
        return rec.filter(r -> !RecordingQueries.DELETING.equals(r.status()))
                .orElseThrow(() -> CastvaultException.notFound("recording"));
    }

    private static void requireActive(LockedRecording rec) {
        if (!RecordingQueries.ACTIVE.equals(rec.status())) {
            throw CastvaultException.conflict("recording is already " + rec.status());
        }
    }
}
