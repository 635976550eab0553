package io.castvault.recording;

import io.castvault.core.model.RecordingStatus;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.CastSummary;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Hashing;
import io.castvault.core.model.Chunk;
import io.castvault.db.Database;
import io.castvault.db.GatewaySessionQueries;
import io.castvault.db.MachineQueries;
import io.castvault.db.RecordingQueries;
import io.castvault.db.RecordingQueries.LockedRecording;
import io.castvault.db.SettingsQueries;
import io.castvault.db.StorageQueries;
import io.castvault.db.Tx;
import io.castvault.db.WritePathQueries;
import io.castvault.events.Event;
import io.castvault.events.Events;
import io.castvault.events.Outbox;
import io.castvault.storage.BlobStore;
import io.castvault.storage.DeleteResult;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;
import io.castvault.storage.WriteCondition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Sealing a recording ({@code complete}, the abandoned-recording completer, agent ingest): the stored chunks are
 * read, verified against their recorded hashes and written as one object, {@code recording.cast}, holding the exact
 * bytes of the cast download (its SHA-256 is {@code recording_sha256} and the store verifies it). All of that runs
 * with no transaction open; the row is completed afterwards in a short transaction that re-checks, under the row
 * lock, that the chunk set did not change meanwhile (otherwise the seal is redone). Only then are the chunk objects
 * deleted. One seal runs at a time per recording (the seal token of migration V4).
 */
public final class Sealing {
    private static final Logger LOG = LoggerFactory.getLogger(Sealing.class);
    private static final int ATTEMPTS = 3;

    private final Database db;
    private final BlobStore blobs;
    private final StorePlacement placement;
    private final long sealLeaseSeconds;
    private final Path spoolDir;
    private final SealListener listener;
    private final Executor chunkCleanup;

    /**
     * @param sealLease    how long a seal may take before another may take it over (the store's call timeout
     *                     bounds each step, so this is only reached by a seal whose process died or was paused;
     *                     a paused one that wakes is fenced off by its conditional writes)
     * @param placement    where agent ingest writes a recording that has no row yet
     * @param chunkCleanup runs the deletion of a sealed recording's chunk objects once the seal has answered
     */
    public Sealing(Database db, BlobStore blobs, StorePlacement placement, Duration sealLease, Path spoolDir,
                   SealListener listener, Executor chunkCleanup) {
        this.db = db;
        this.blobs = blobs;
        this.placement = placement;
        this.sealLeaseSeconds = sealLease.toSeconds();
        this.spoolDir = spoolDir;
        this.listener = listener;
        this.chunkCleanup = chunkCleanup;
    }

    public record CompleteRequest(Double durationSeconds, String recordingUrl, Long transcriptLines) {
    }

    /** The {@code complete} action. */
    public String complete(Caller caller, UUID sessionId, CompleteRequest request) {
        UUID token = UUID.randomUUID();
        Instant startedAt = db.inOrg(caller.orgId(), tx -> {
            LockedRecording rec = Recordings.visible(RecordingQueries.lock(tx, sessionId, true));
            caller.requireWriter(rec.userId());
            Recordings.requireActive(rec);
            if (!WritePathQueries.beginSeal(tx, sessionId, token, sealLeaseSeconds)) {
                throw CastvaultException.conflict("the recording is being completed by another request");
            }
            return rec.startedAt();
        });
        seal(caller.orgId(), sessionId, token, startedAt, request, false, tx -> Audit.completed(tx, caller, sessionId));
        return sessionId.toString();
    }

    /**
     * Seals an abandoned recording (the sweeper's completer) with {@code metadata.auto_completed}. False when it
     * is no longer abandoned or another seal holds it. A lost chunk object backs it off (1 h, doubling, at most a
     * week) instead of failing every run.
     */
    boolean sealAbandoned(UUID orgId, UUID recordingId, long idleSeconds) {
        UUID token = UUID.randomUUID();
        Instant startedAt = db.inOrg(orgId, tx -> {
            if (RecordingQueries.lockAbandoned(tx, idleSeconds, 1, recordingId).isEmpty()) {
                return null; // written to meanwhile, completed, or another sweeper has it
            }
            var rec = RecordingQueries.lock(tx, recordingId, true);
            if (rec.isEmpty() || !WritePathQueries.beginSeal(tx, recordingId, token, sealLeaseSeconds)) {
                return null;
            }
            return rec.get().startedAt();
        });
        if (startedAt == null) {
            return false;
        }
        seal(orgId, recordingId, token, startedAt, new CompleteRequest(null, null, null), true,
                tx -> Audit.autoCompleted(tx, orgId, recordingId));
        return true;
    }

    /**
     * Seals an active recording on the gateway's word (its session-end event), ending it at {@code endedAt}. False
     * when it is no longer active or another seal holds it (that seal completes it).
     */
    boolean sealEnded(UUID orgId, UUID id, Instant endedAt) {
        UUID token = UUID.randomUUID();
        Instant startedAt = db.inOrg(orgId, tx -> {
            var rec = RecordingQueries.lock(tx, id, true);
            if (rec.isEmpty() || rec.get().status() != RecordingStatus.ACTIVE
                    || !WritePathQueries.beginSeal(tx, id, token, sealLeaseSeconds)) {
                return null;
            }
            return rec.get().startedAt();
        });
        if (startedAt == null) {
            return false;
        }
        seal(orgId, id, token, startedAt, new CompleteRequest(null, null, null), false,
                tx -> GatewaySessionQueries.setEndedAt(tx, id, endedAt));
        return true;
    }

    /** {@code inSealTx} runs in the transaction that completes the row (the change's audit entry and event). */
    private void seal(UUID orgId, UUID id, UUID token, Instant startedAt, CompleteRequest request, boolean auto,
                      Consumer<Tx> inSealTx) {
        try {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                List<Chunk> chunks = db.inOrg(orgId, tx -> RecordingQueries.chunks(tx, id));
                Spooled cast = spool(orgId, id, chunks);
                try {
                    ObjectKey castKey = ObjectKey.cast(orgId, id);
                    ObjectKey summaryKey = ObjectKey.summary(orgId, id);
                    // Fenced writes: what is at both keys now, then the token still ours, then writes that land
                    // only over what was seen. A seal stalled past its lease (a paused process) that wakes after
                    // another seal took over and wrote, or finished, is refused by the store instead of replacing
                    // the sealed object that recording_sha256 names.
                    WriteCondition castSeen = WriteCondition.replacing(blobs.head(castKey));
                    WriteCondition summarySeen = WriteCondition.replacing(blobs.head(summaryKey));
                    if (!db.inOrg(orgId, tx -> WritePathQueries.holdsSeal(tx, id, token))) {
                        throw takenOver();
                    }
                    blobs.put(castKey, cast.file(), cast.sha256(), Recordings.CAST_CONTENT_TYPE, castSeen);
                    ObjectNode summary = summary(orgId, id, startedAt, chunks, cast.sha256(), cast.length(), request, auto);
                    byte[] body = Json.bytes(summary);
                    blobs.put(summaryKey, body, Hashing.sha256(body), "application/json", summarySeen);
                    boolean done = db.inOrg(orgId, tx -> {
                        if (WritePathQueries.lockSeal(tx, id, token).isEmpty()) {
                            throw takenOver();
                        }
                        // else a claim marked stored between our look at the chunks and the commit would be
                        // acknowledged, yet not in the seal
                        WritePathQueries.lockPendingClaims(tx, id);
                        if (!sameChunks(RecordingQueries.chunks(tx, id), chunks)) {
                            return false; // a chunk arrived while we hashed: seal again with it
                        }
                        WritePathQueries.finishSeal(tx, id, summary.get("duration_seconds").asDouble(),
                                summaryKey.value(), rowPatch(summary, auto).toString(), true);
                        inSealTx.accept(tx);
                        Outbox.append(tx, sealedEvent(orgId, id, summary, chunks.size(), auto));
                        return true;
                    });
                    if (done) {
                        listener.sealed(orgId, id);
                        // The recording is sealed and durable: the caller need not wait for the chunk objects to
                        // go (a second or more for a large recording). If this process dies first, the orphan sweep
                        // deletes a sealed recording's chunk objects.
                        chunkCleanup.execute(() -> clearChunks(orgId, id));
                        return;
                    }
                } finally {
                    cast.delete();
                }
            }
            throw new CastvaultException(ErrorCode.STORAGE_UNAVAILABLE,
                    "chunks kept arriving while the recording was being completed; retry");
        } catch (StorageException e) {
            throw releaseAfter(orgId, id, token, false, StoreFailures.unavailable(e));
        } catch (RuntimeException e) {
            throw releaseAfter(orgId, id, token, auto && e instanceof StoreFailures.MissingObjectException, e);
        }
    }

    private static CastvaultException takenOver() {
        return new CastvaultException(ErrorCode.STORAGE_UNAVAILABLE,
                "completing the recording took too long and was taken over; retry");
    }

    /** Gives the seal token back after a failed seal (best effort: otherwise its lease runs out), then fails. */
    private RuntimeException releaseAfter(UUID orgId, UUID id, UUID token, boolean backOff, RuntimeException e) {
        try {
            db.inOrg(orgId, tx -> {
                WritePathQueries.releaseSeal(tx, id, token, backOff);
                return null;
            });
        } catch (RuntimeException suppressed) {
            e.addSuppressed(suppressed);
        }
        return e;
    }

    /**
     * Agent ingest: the spooled file is already the validated cast download. The sealed object and summary go up
     * first, to the store placed before the first byte; the row is inserted completed in one transaction afterwards
     * and records that store, even if the org switched storage mode meanwhile. Nothing is deleted when that commit
     * fails (it may have happened): an object no row names is removed by the orphan sweep after its grace period.
     */
    public UUID sealIngested(UUID orgId, UUID machineId, UUID ownerId, String sessionType, ObjectNode metadata,
                             Path castFile, long byteLength, byte[] sha256, CastSummary cast, Double durationSeconds,
                             RequestContext request, String auditAction) {
        Recordings.requireSessionType(sessionType);
        UUID id = UUID.randomUUID();
        Chunk only = new Chunk(0, sha256, byteLength, (int) cast.eventCount(), cast.lastTime().doubleValue(), true, true);
        StorePlacement.Placement target = placement.place(orgId);
        StoreFailures.run(() -> target.store().put(ObjectKey.cast(orgId, id), castFile, sha256, Recordings.CAST_CONTENT_TYPE));
        Instant startedAt = Instant.now();
        ObjectNode summary = summary(orgId, id, startedAt, List.of(only), sha256, byteLength,
                new CompleteRequest(durationSeconds, null, null), false);
        byte[] body = Json.bytes(summary);
        ObjectKey summaryKey = ObjectKey.summary(orgId, id);
        StoreFailures.run(() -> target.store().put(summaryKey, body, Hashing.sha256(body), "application/json"));
        db.inOrg(orgId, tx -> {
            if (!SettingsQueries.get(tx).recordingEnabled()) {
                throw Recordings.recordingDisabled();
            }
            if (!MachineQueries.lockForReference(tx, machineId)) {
                // deleted while the transcript was being received: its node key no longer counts
                throw new CastvaultException(ErrorCode.UNAUTHORIZED, "unknown or revoked node key");
            }
            RecordingQueries.insert(tx, new RecordingQueries.NewRecording(
                    id, machineId, ownerId, sessionType, RecordingStatus.ACTIVE, metadata.toString()));
            // the insert trigger took the org's store as of now; the bytes went where it was at the first byte
            StorageQueries.placeRecording(tx, id, target.storeId());
            RecordingQueries.insertChunk(tx, id, only);
            WritePathQueries.finishSeal(tx, id, summary.get("duration_seconds").asDouble(), summaryKey.value(),
                    rowPatch(summary, false).toString(), true);
            WritePathQueries.markChunksCleared(tx, id);
            Audit.uploaded(tx, orgId, machineId, request, auditAction, id, byteLength);
            Outbox.append(tx, sealedEvent(orgId, id, summary, 1, false));
            return null;
        });
        listener.sealed(orgId, id);
        return id;
    }

    /** Deletes everything under the recording's chunk prefix but the sealed object: chunk objects and strays. */
    private void clearChunks(UUID orgId, UUID id) {
        try {
            ObjectKey cast = ObjectKey.cast(orgId, id);
            List<ObjectKey> keys = new ArrayList<>(blobs.list(ObjectKey.recordingPrefixes(orgId, id).get(0)));
            keys.remove(cast);
            DeleteResult result = blobs.delete(keys);
            if (result.complete()) {
                db.inOrg(orgId, tx -> {
                    WritePathQueries.markChunksCleared(tx, id);
                    return null;
                });
            } else {
                LOG.warn("recording {} sealed; {} chunk objects not deleted yet (retention or the orphan sweep will)",
                        id, result.failed().size());
            }
        } catch (RuntimeException e) {
            LOG.warn("recording {} sealed; deleting its chunk objects failed: {}", id, e.getMessage());
        }
    }

    private static Event sealedEvent(UUID orgId, UUID id, ObjectNode summary, int chunks, boolean auto) {
        return Events.recordingSealed(orgId, id, summary.get("recording_sha256").asText(),
                summary.get("recording_bytes").asLong(), (ArrayNode) summary.get("missing_chunks"), chunks,
                summary.get("duration_seconds").asDouble(), ObjectKey.summary(orgId, id).value(), auto);
    }

    private static boolean sameChunks(List<Chunk> now, List<Chunk> hashed) {
        if (now.size() != hashed.size()) {
            return false;
        }
        for (int i = 0; i < now.size(); i++) {
            if (now.get(i).index() != hashed.get(i).index() || !Arrays.equals(now.get(i).sha256(), hashed.get(i).sha256())) {
                return false;
            }
        }
        return true;
    }

    private record Spooled(Path file, byte[] sha256, long length) {
        void delete() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("could not delete spool file {}: {}", file, e.getMessage());
            }
        }
    }

    /** The cast download written to a local file and hashed in one pass, every chunk verified on the way. */
    private Spooled spool(UUID orgId, UUID id, List<Chunk> chunks) {
        Path file;
        try {
            file = Files.createTempFile(spoolDir, "castvault-seal-", ".cast");
        } catch (IOException e) {
            throw new CastvaultException(ErrorCode.SPOOL_UNAVAILABLE, "cannot create a spool file: " + e.getMessage(), e);
        }
        MessageDigest md = Hashing.sha256();
        long total = 0;
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = new CastStream(blobs, orgId, id, chunks, true);
             OutputStream out = Files.newOutputStream(file)) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
                out.write(buf, 0, n);
                total += n;
            }
        } catch (CastStream.ChunkIntegrityException e) {
            deleteQuietly(file);
            throw StoreFailures.lost(ObjectKey.chunk(orgId, id, e.index), "no longer matches its recorded SHA-256; "
                    + "the recording stays active", e);
        } catch (StorageException e) {
            deleteQuietly(file);
            if (e.kind() == StorageException.Kind.NOT_FOUND) {
                // the store's message names the key
                throw StoreFailures.lost("of recording " + id, "is missing (" + e.getMessage()
                        + "); the recording stays active", e);
            }
            throw StoreFailures.unavailable(e);
        } catch (IOException | UncheckedIOException e) {
            deleteQuietly(file);
            throw StoreFailures.unavailable(new StorageException(StorageException.Kind.UNAVAILABLE,
                    "reading recording " + id + " failed", e));
        }
        return new Spooled(file, md.digest(), total);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temporary file; the OS cleans its temp directory
        }
    }

    private static ObjectNode summary(UUID orgId, UUID id, Instant startedAt, List<Chunk> chunks, byte[] sha256,
                                      long length, CompleteRequest request, boolean auto) {
        double duration = request.durationSeconds() != null ? request.durationSeconds()
                : chunks.stream().mapToDouble(Chunk::lastEventTime).max().orElse(0);
        long lines = request.transcriptLines() != null ? request.transcriptLines()
                : chunks.stream().mapToLong(Chunk::eventCount).sum();
        String url = request.recordingUrl() != null ? request.recordingUrl() : Recordings.castPath(orgId, id);
        ObjectNode summary = Json.MAPPER.createObjectNode();
        summary.put("session_id", id.toString());
        summary.put("org_id", orgId.toString());
        Json.putNumber(summary, "duration_seconds", duration);
        summary.put("recording_url", url);
        summary.put("transcript_lines", lines);
        summary.put("started_at", startedAt.toString());
        summary.put("completed_at", Instant.now().toString());
        summary.put("format", "asciicast-v2");
        summary.put("cast_key", ObjectKey.cast(orgId, id).value());
        ArrayNode list = summary.putArray("chunks");
        for (Chunk c : chunks) {
            ObjectNode n = list.addObject();
            n.put("index", c.index());
            n.put("key", ObjectKey.chunk(orgId, id, c.index()).value());
            n.put("sha256", Hashing.hex(c.sha256()));
            n.put("bytes", c.byteLength());
            n.put("events", c.eventCount());
        }
        summary.set("missing_chunks", missingRanges(chunks));
        summary.put("recording_sha256", Hashing.hex(sha256));
        summary.put("recording_bytes", length);
        if (auto) {
            summary.put("auto_completed", true);
        }
        return summary;
    }

    /**
     * Gaps in the chunk indexes as inclusive ranges ({@code [[2, 999999]]}): at most one per chunk received, so
     * their size is bounded by what the client actually sent, not by the indexes it chose.
     */
    static ArrayNode missingRanges(List<Chunk> chunks) {
        ArrayNode ranges = Json.MAPPER.createArrayNode();
        int expected = 0;
        for (Chunk c : chunks) {
            if (c.index() > expected) {
                ranges.addArray().add(expected).add(c.index() - 1);
            }
            expected = c.index() + 1;
        }
        return ranges;
    }

    private static ObjectNode rowPatch(ObjectNode summary, boolean auto) {
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.set("recording_sha256", summary.get("recording_sha256"));
        if (!summary.get("missing_chunks").isEmpty()) {
            patch.set("missing_chunks", summary.get("missing_chunks"));
        }
        if (auto) {
            patch.put("auto_completed", true);
        }
        return patch;
    }
}
