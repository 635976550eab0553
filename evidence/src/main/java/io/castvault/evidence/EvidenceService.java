package io.castvault.evidence;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Hashing;
import io.castvault.db.Database;
import io.castvault.db.EvidenceQueries;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The evidence use cases behind the API: published keys, rotation, server-side verification and the evidence
 * bundle. Authorisation is the caller's (the API checks roles before calling in).
 */
public final class EvidenceService {
    private final Database db;
    private final BlobStore blobs;
    private final SigningKeys keys;

    public EvidenceService(Database db, BlobStore blobs, SigningKeys keys) {
        this.db = db;
        this.blobs = blobs;
        this.keys = keys;
    }

    public record PublicKeys(List<SigningKeys.PublicKeyInfo> keys, String allowedSigners) {
    }

    public PublicKeys publicKeys(UUID orgId) {
        List<SigningKeys.PublicKeyInfo> all = keys.publicKeys(orgId);
        return new PublicKeys(all, SigningKeys.allowedSigners(orgId, all));
    }

    public String rotate(UUID orgId, java.util.function.BiConsumer<io.castvault.db.Tx, SigningKeys.Rotation> inSameTransaction) {
        return keys.rotate(orgId, inSameTransaction);
    }

    /**
     * The offline verifier's checks, run against the live bucket with the org's keys from the database: the whole
     * chain and every recording, or (with {@code sessionId}) one recording and the digests that list it.
     */
    public Verifier.Report verify(UUID orgId, UUID sessionId) {
        List<byte[]> raw = keys.publicKeys(orgId).stream().map(k -> SshKeys.parsePublicKeyText(k.publicKey())).toList();
        Verifier verifier = new Verifier(EvidenceSource.of(blobs), orgId, raw, null);
        if (sessionId == null) {
            return verifier.run();
        }
        record Digests(ObjectKey seal, ObjectKey removal) {
        }
        Digests d = db.inOrg(orgId, tx -> new Digests(
                EvidenceQueries.seal(tx, sessionId).map(EvidenceQueries.SealRow::digestSeq)
                        .flatMap(seq -> writtenDigest(tx, seq)).orElse(null),
                EvidenceQueries.removalDigestSeq(tx, sessionId).flatMap(seq -> writtenDigest(tx, seq)).orElse(null)));
        return verifier.runSession(sessionId, d.seal(), d.removal());
    }

    private static Optional<ObjectKey> writtenDigest(io.castvault.db.Tx tx, Long seq) {
        return seq == null ? Optional.empty() : EvidenceQueries.digest(tx, seq).filter(r -> r.writtenAt() != null)
                .map(r -> ObjectKey.parse(r.objectKey()));
    }

    /**
     * Streams the evidence bundle of a sealed recording as a tar: the cast, summary, manifest and signature,
     * allowed_signers and VERIFY.md. {@code cast} is the recording as the cast route serves it, {@code castLength}
     * bytes long. There is deliberately no checksum file: whatever the bundle says about the cast and the summary
     * must come from the signed manifest, or a swapped cast with a rewritten checksum file would pass.
     */
    public void writeBundle(UUID orgId, UUID sessionId, long castLength, InputStream cast, OutputStream out)
            throws IOException {
        String dir = "castvault-evidence-" + sessionId + "/";
        byte[] summary = read(ObjectKey.summary(orgId, sessionId));
        ObjectKey manifestKey = ObjectKey.manifest(orgId, sessionId);
        byte[] manifest = read(manifestKey);
        byte[] sig = read(ObjectKey.signatureOf(manifestKey));
        String signers = publicKeys(orgId).allowedSigners();
        TarWriter tar = new TarWriter(out, Instant.now().getEpochSecond());
        tar.add(dir + "VERIFY.md", verifyMd(orgId, sessionId).getBytes(StandardCharsets.UTF_8));
        tar.add(dir + "allowed_signers", signers.getBytes(StandardCharsets.UTF_8));
        tar.add(dir + "manifest.json", manifest);
        tar.add(dir + "manifest.json.sig", sig);
        tar.add(dir + "recording.json", summary);
        tar.add(dir + "recording.cast", castLength, cast);
        tar.finish();
    }

    /** Fails with NOT_FOUND when the recording has no manifest yet (not sealed, or its manifest is still pending). */
    public void requireManifest(UUID orgId, UUID sessionId) {
        boolean sealed = db.inOrg(orgId, tx -> EvidenceQueries.seal(tx, sessionId)
                .map(s -> s.manifestSha256() != null).orElse(false));
        if (!sealed) {
            throw new CastvaultException(ErrorCode.NOT_FOUND,
                    "the recording has no signed manifest yet (not completed, or its manifest is being written)");
        }
    }

    /**
     * Where the recording stands in the evidence record, for the dashboard's integrity panel: its manifest's hash
     * and signing key, and the digest that lists it (null while pending).
     */
    public record Integrity(Instant sealedAt, String manifestSha256, String keyFingerprint, String digestKey) {
    }

    public Optional<Integrity> integrity(UUID orgId, UUID sessionId) {
        Optional<EvidenceQueries.SealRow> seal = db.inOrg(orgId, tx -> EvidenceQueries.seal(tx, sessionId));
        if (seal.isEmpty()) {
            return Optional.empty();
        }
        String digestKey = seal.get().digestSeq() == null ? null
                : db.inOrg(orgId, tx -> writtenDigest(tx, seal.get().digestSeq())).map(ObjectKey::value).orElse(null);
        String fingerprint = null;
        if (seal.get().manifestSha256() != null) {
            try {
                fingerprint = CanonicalJson.parse(read(ObjectKey.manifest(orgId, sessionId))).path("key_fingerprint").asText(null);
            } catch (StorageException | IllegalArgumentException e) {
                fingerprint = null; // the verify findings say what is wrong with it
            }
        }
        return Optional.of(new Integrity(seal.get().sealedAt(),
                seal.get().manifestSha256() == null ? null : Hashing.hex(seal.get().manifestSha256()), fingerprint, digestKey));
    }

    private byte[] read(ObjectKey key) {
        try (InputStream in = blobs.get(key)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.UNAVAILABLE, "reading " + key + " failed", e);
        }
    }

    /**
     * The auditor's commands. Each hash they compare is cut out of the signed manifest (canonical JSON: sorted keys,
     * no whitespace, and a quote inside a value is escaped, so a fixed grep pattern matches only the real field);
     * the signature check comes first, so every byte relied on traces back to the org's key.
     */
    static String verifyMd(UUID orgId, UUID sessionId) {
        return """
                # Verifying recording %2$s

                This bundle proves, with stock tools only (OpenSSH's `ssh-keygen`, `sha256sum`, `grep`, `cut` and a
                POSIX `sh`), that `recording.cast` and `recording.json` are the recording and the summary Castvault
                sealed for org %1$s. Run the four commands below in this folder, in order: each must succeed (exit
                status 0). Every hash they compare is taken from `manifest.json`, whose signature the first one
                checks, so no other file of the bundle needs to be trusted.

                ## 1. The manifest is signed by the org's key

                `allowed_signers` lists every key the org ever used. It is the one file the bundle cannot vouch for:
                compare its keys with the ones the org publishes (the `get_public_keys` action) or a copy you kept.

                ```sh
                ssh-keygen -Y verify -f allowed_signers -I %1$s -n castvault-recording -s manifest.json.sig < manifest.json
                ```

                It prints `Good "castvault-recording" signature for %1$s with ED25519 key SHA256:…`.

                ## 2. The manifest is this recording's

                ```sh
                grep -o '"session_id":"%2$s"' manifest.json
                ```

                ## 3. The cast is the one the manifest signed

                `manifest.json` is canonical JSON (sorted keys, no whitespace), so its `recording_sha256` is cut out
                with `grep` and `cut` and handed to `sha256sum`, which prints `recording.cast: OK`.

                ```sh
                echo "$(grep -o '"recording_sha256":"[0-9a-f]\\{64\\}"' manifest.json | cut -d'"' -f4)  recording.cast" | sha256sum --strict -c -
                ```

                ## 4. The summary is the one the manifest lists

                ```sh
                echo "$(grep -o '"key":"session-recordings/%1$s/%2$s/recording.json","sha256":"[0-9a-f]\\{64\\}"' manifest.json | cut -d'"' -f8)  recording.json" | sha256sum --strict -c -
                ```

                `manifest.json` also states the machine, the user, start, end and duration, the length of every
                stored object, and each chunk as it was received (index, length, SHA-256). That the recording was
                never removed or replaced in the bucket is shown by the org's digest chain: run
                `scripts/verify --dir <bucket copy> --org %1$s --allowed-signers allowed_signers`.
                """.formatted(orgId, sessionId);
    }
}
