package io.castvault.recording;

import io.castvault.core.CastParser;
import io.castvault.core.CastSummary;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Hashing;
import io.castvault.core.model.Chunk;
import io.castvault.db.Database;
import io.castvault.db.RecordingQueries;
import io.castvault.db.WritePathQueries;
import io.castvault.db.WritePathQueries.ExistingChunk;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code upload_chunk}: claim (a pending row, one short transaction) → put the object (no transaction open, no
 * connection held) → mark it stored (a second short transaction). A chunk is acknowledged only once it is stored.
 * Each statement is shared with the claims and marks of the org's concurrent uploads that arrive meanwhile
 * ({@link GroupCommits}).
 * Nothing that may have been committed is deleted: a failure at any step leaves a claim that the client's retry
 * (same bytes: put again, mark) or the sweeper ({@link #reconcile}) resolves by looking at the store.
 */
public final class ChunkUploads {
    public static final int MAX_CHUNK_INDEX = 1_000_000;
    private static final Logger LOG = LoggerFactory.getLogger(ChunkUploads.class);

    private final Database db;
    private final GroupCommits<WritePathQueries.ChunkStep, WritePathQueries.StepAnswer> steps;
    private final BlobStore blobs;
    private final long maxChunkBytes;
    private final long claimLeaseSeconds;
    private final Semaphore inFlight;
    private final LongAdder rejected = new LongAdder();

    /**
     * @param claimLease how long a claim may wait for its object before a writer of other content may reconcile
     *                   it; longer than an object-store call can take, so a slow writer is never overtaken
     * @param maxInFlight uploads allowed in the object-store step at once; beyond it, 503 at once instead of a queue
     */
    public ChunkUploads(Database db, BlobStore blobs, long maxChunkBytes, Duration claimLease, int maxInFlight) {
        this.db = db;
        this.steps = new GroupCommits<>((org, group) -> WritePathQueries.chunkSteps(db, org, group));
        this.blobs = blobs;
        this.maxChunkBytes = maxChunkBytes;
        this.claimLeaseSeconds = claimLease.toSeconds();
        this.inFlight = new Semaphore(maxInFlight);
    }

    /** Uploads refused so far because {@code maxInFlight} were in the store step (for the rejections counter). */
    public long rejected() {
        return rejected.sum();
    }

    /** The acknowledged chunk: its object's key, its index and its size in bytes (UTF-8, as stored). */
    public record ChunkStored(String stored, int chunkIndex, long byteLength) {
    }

    /** @param bytes the chunk's asciicast text as UTF-8 (the request's decoding checked that it is UTF-8) */
    public ChunkStored upload(Caller caller, UUID sessionId, int index, byte[] bytes) {
        if (index < 0 || index > MAX_CHUNK_INDEX) {
            throw CastvaultException.invalid("chunk_index must be between 0 and " + MAX_CHUNK_INDEX);
        }
        if (bytes.length > maxChunkBytes) {
            throw new CastvaultException(ErrorCode.PAYLOAD_TOO_LARGE,
                    "chunk_data is " + bytes.length + " bytes; the limit is " + maxChunkBytes);
        }
        CastSummary cast = CastParser.inspect(new String(bytes, StandardCharsets.UTF_8),
                CastParser.forChunk(index == 0));
        if (cast.eventCount() == 0 && cast.header().isEmpty()) {
            throw CastvaultException.invalid("chunk_data holds no asciicast events");
        }
        byte[] sha = Hashing.sha256(bytes);
        ObjectKey key = ObjectKey.chunk(caller.orgId(), sessionId, index);
        Chunk chunk = new Chunk(index, sha, bytes.length, (int) cast.eventCount(),
                cast.lastTime().doubleValue(), cast.header().isPresent(), false);
        if (!inFlight.tryAcquire()) {
            rejected.increment();
            throw new CastvaultException(ErrorCode.STORAGE_UNAVAILABLE,
                    "too many uploads in progress; retry shortly");
        }
        try {
            if (claim(caller, sessionId, chunk)) {
                StoreFailures.run(() -> blobs.put(key, bytes, sha, Recordings.CAST_CONTENT_TYPE));
                if (!steps.run(caller.orgId(), new WritePathQueries.StoredMark(sessionId, index, sha)).marked()) {
                    requireStored(caller.orgId(), sessionId, chunk);
                }
            }
        } finally {
            inFlight.release();
        }
        return new ChunkStored(key.value(), index, bytes.length);
    }

    /** True when the object must be put (a fresh claim, or our own earlier claim); false when already stored. */
    private boolean claim(Caller caller, UUID sessionId, Chunk chunk) {
        for (int attempt = 0; attempt < 2; attempt++) {
            WritePathQueries.Claim claim = steps.run(caller.orgId(),
                    new WritePathQueries.ChunkClaim(sessionId, chunk, writer(caller))).claim();
            RecordingQueries.LockedRecording rec = Recordings.visible(claim.recording());
            caller.requireWriter(rec.userId());
            Recordings.requireActive(rec);
            if (claim.claimed()) {
                return true;
            }
            Optional<ExistingChunk> existing = db.inOrg(caller.orgId(),
                    tx -> WritePathQueries.chunkAt(tx, sessionId, chunk.index()));
            if (existing.isEmpty()) {
                continue; // the claim that held the index was released meanwhile: claim again
            }
            Chunk held = existing.get().chunk();
            if (Arrays.equals(held.sha256(), chunk.sha256())) {
                // a retry of these bytes: acknowledged already, or put again (same bytes, same key) and mark
                return !held.stored();
            }
            if (held.stored() || existing.get().claimAgeSeconds() < claimLeaseSeconds) {
                throw CastvaultException.conflict("chunk " + chunk.index() + " was already "
                        + (held.stored() ? "stored" : "claimed") + " with other content");
            }
            reconcile(caller.orgId(), sessionId, held);
        }
        throw CastvaultException.conflict("chunk " + chunk.index() + " was already stored with other content");
    }

    /**
     * Whose recordings the claim statement may claim a chunk of: an admin's any (null), a member's own; an auditor
     * none (an id no user has), so the statement claims nothing and {@link Caller#requireWriter} then refuses.
     */
    private static UUID writer(Caller caller) {
        return switch (caller.role()) {
            case ADMIN -> null;
            case MEMBER -> caller.userId();
            default -> NO_USER;
        };
    }

    private static final UUID NO_USER = new UUID(0, 0);

    /** The claim was not there to mark: fine when the chunk is stored with these bytes (a concurrent retry). */
    private void requireStored(UUID orgId, UUID sessionId, Chunk chunk) {
        boolean stored = db.inOrg(orgId, tx -> RecordingQueries.chunks(tx, sessionId)).stream()
                .anyMatch(c -> c.index() == chunk.index() && Arrays.equals(c.sha256(), chunk.sha256()));
        if (!stored) {
            throw CastvaultException.conflict("chunk " + chunk.index()
                    + " could not be stored: the recording was completed or deleted meanwhile");
        }
    }

    /**
     * Resolves a stale claim by asking the store: the object is there with the claimed bytes → the chunk is stored
     * (its writer may have been acknowledged by an ambiguous commit); it is absent or other bytes → the claim is
     * released. Returns true when the chunk ended up stored.
     */
    public boolean reconcile(UUID orgId, UUID recordingId, Chunk pending) {
        ObjectKey key = ObjectKey.chunk(orgId, recordingId, pending.index());
        boolean present;
        try (InputStream in = blobs.get(key)) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, pending.byteLength() + 1));
            present = body.length == pending.byteLength() && Arrays.equals(Hashing.sha256(body), pending.sha256());
        } catch (StorageException e) {
            if (e.kind() != StorageException.Kind.NOT_FOUND) {
                throw StoreFailures.unavailable(e);
            }
            present = false;
        } catch (IOException e) {
            throw StoreFailures.unavailable(new StorageException(StorageException.Kind.UNAVAILABLE, "reading " + key + " failed", e));
        }
        boolean stored = present;
        db.inOrg(orgId, tx -> stored
                ? WritePathQueries.markStored(tx, recordingId, pending.index(), pending.sha256())
                : WritePathQueries.releaseClaim(tx, recordingId, pending.index(), pending.sha256()));
        LOG.info("reconciled claim of {}: {}", key, stored ? "object present, chunk stored" : "object absent, claim released");
        return stored;
    }
}
