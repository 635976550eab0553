package io.castvault.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.core.Hashing;
import io.castvault.core.model.Chunk;
import io.castvault.core.model.Recording;
import io.castvault.db.Database;
import io.castvault.db.EvidenceQueries;
import io.castvault.db.EvidenceQueries.SealRow;
import io.castvault.db.RecordingQueries;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Writes {@code manifest.json} and {@code manifest.json.sig} for a sealed recording, after the sealing
 * transaction committed (no transaction is open while the store is called). Re-writing is harmless: the same
 * seal gives byte-identical files. A manifest that could not be written now is written by the next digest run.
 */
public final class ManifestWriter {
    private static final Logger LOG = LoggerFactory.getLogger(ManifestWriter.class);

    private final Database db;
    private final BlobStore blobs;
    private final SigningKeys keys;

    public ManifestWriter(Database db, BlobStore blobs, SigningKeys keys) {
        this.db = db;
        this.blobs = blobs;
        this.keys = keys;
    }

    /** The seal hook: never fails the request that sealed; the digest run retries what did not go through. */
    public void writeQuietly(UUID orgId, UUID recordingId) {
        try {
            write(orgId, recordingId);
        } catch (RuntimeException e) {
            LOG.warn("manifest of recording {} not written now ({}); the next digest run writes it", recordingId, e.getMessage());
        }
    }

    /**
     * Builds the manifest of the recording as stored today (chunks and summary) and writes it; empty when the
     * recording is not sealed or is already gone.
     */
    public Optional<byte[]> write(UUID orgId, UUID recordingId) {
        record State(SealRow seal, Recording row, List<Chunk> chunks) {
        }
        State state = db.inOrg(orgId, tx -> {
            Optional<SealRow> seal = EvidenceQueries.seal(tx, recordingId);
            Optional<Recording> row = RecordingQueries.find(tx, recordingId);
            if (seal.isEmpty() || row.isEmpty() || row.get().r2Key() == null) {
                return null;
            }
            return new State(seal.get(), row.get(), RecordingQueries.chunks(tx, recordingId));
        });
        if (state == null) {
            return Optional.empty();
        }
        List<Manifest.StoredObject> objects = new ArrayList<>();
        List<Manifest.Chunk> chunks = new ArrayList<>();
        ObjectKey summaryKey = ObjectKey.summary(orgId, recordingId);
        byte[] summary = read(summaryKey);
        JsonNode recordingSha = CanonicalJson.parse(state.row().metadataJson().getBytes(StandardCharsets.UTF_8))
                .get("recording_sha256");
        Recording r = state.row();
        // A sealed recording is one object (its chunk objects are deleted once it is durable; their hashes stay
        // in the manifest as received). One completed before sealing existed is still its chunk objects.
        if (r.sealed() && recordingSha != null) {
            JsonNode bytes = CanonicalJson.parse(summary).get("recording_bytes");
            objects.add(new Manifest.StoredObject(ObjectKey.cast(orgId, recordingId),
                    bytes == null ? 0 : bytes.asLong(), recordingSha.asText()));
        }
        for (Chunk c : state.chunks()) {
            String sha = Hashing.hex(c.sha256());
            if (!r.sealed()) {
                objects.add(new Manifest.StoredObject(ObjectKey.chunk(orgId, recordingId, c.index()), c.byteLength(), sha));
            }
            chunks.add(new Manifest.Chunk(c.index(), c.byteLength(), sha));
        }
        objects.add(new Manifest.StoredObject(summaryKey, summary.length, Hashing.hex(Hashing.sha256(summary))));
        Manifest manifest = new Manifest(orgId, recordingId, r.machineId(), r.userId(), r.sessionType(), r.startedAt(),
                r.endedAt(), r.durationSeconds(), objects, chunks, recordingSha == null ? null : recordingSha.asText(),
                state.seal().sealedAt());
        byte[] sha = put(orgId, recordingId, manifest);
        db.inOrg(orgId, tx -> {
            EvidenceQueries.setManifestSha256(tx, recordingId, sha);
            return null;
        });
        return Optional.of(sha);
    }

    /** Signs and stores a manifest built by any seal path; answers its SHA-256. */
    public byte[] put(UUID orgId, UUID recordingId, Manifest manifest) {
        SigningKeys.Signer signer = keys.current(orgId);
        byte[] json = manifest.toJson(signer.fingerprint());
        byte[] sha = Hashing.sha256(json);
        byte[] sig = signer.sign(Sshsig.RECORDING_NAMESPACE, json).getBytes(StandardCharsets.US_ASCII);
        ObjectKey key = ObjectKey.manifest(orgId, recordingId);
        blobs.put(key, json, sha, "application/json");
        blobs.put(ObjectKey.signatureOf(key), sig, Hashing.sha256(sig), "text/plain");
        return sha;
    }

    private byte[] read(ObjectKey key) {
        try (InputStream in = blobs.get(key)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.UNAVAILABLE, "reading " + key + " failed", e);
        }
    }
}
