package io.castvault.evidence;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.Hashing;
import io.castvault.db.AuditLog;
import io.castvault.db.Database;
import io.castvault.db.EvidenceQueries;
import io.castvault.db.EvidenceQueries.DigestRow;
import io.castvault.db.EvidenceQueries.RemovalRow;
import io.castvault.db.EvidenceQueries.SealRow;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ObjectKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The per-org digest chain. Each run, per org: claim the next digest in a short transaction (under the org's
 * evidence lock, so seals stamped before its due time are all visible, and exactly one instance claims it), then
 * with no transaction open write any missing manifests, the digest and its signature, then record it. A digest
 * whose write failed keeps its claim row and is retried with the same content: late, never skipped; the next
 * digest states how late it was.
 */
public final class DigestWriter {
    public static final String FORMAT = "castvault-digest/1";
    static final Duration HEARTBEAT = Duration.ofDays(1);
    private static final Duration LEASE = Duration.ofMinutes(10);
    /** A digest written more than this (or DIGEST_INTERVAL, if shorter) after it was due is called late. */
    private static final Duration LATE_AFTER = Duration.ofMinutes(5);
    private static final Logger LOG = LoggerFactory.getLogger(DigestWriter.class);

    private final Database db;
    private final BlobStore blobs;
    private final SigningKeys keys;
    private final ManifestWriter manifests;
    private final Duration interval;

    public DigestWriter(Database db, BlobStore blobs, SigningKeys keys, ManifestWriter manifests, Duration interval) {
        this.db = db;
        this.blobs = blobs;
        this.keys = keys;
        this.manifests = manifests;
        this.interval = interval;
    }

    /** One run over every org with evidence; answers how many digests were written. */
    public int runAll() {
        int written = 0;
        for (UUID org : db.acrossOrgs(EvidenceQueries::orgsWithEvidence)) {
            try {
                written += runOrg(org, false).isPresent() ? 1 : 0;
            } catch (RuntimeException e) {
                LOG.warn("digest of org {} not written now ({}); retried next run", org, e.getMessage());
            }
        }
        return written;
    }

    /**
     * Writes the org's next digest if one is due ({@code force}: now, whatever the interval), or finishes one whose
     * earlier write failed; answers its key, or empty when nothing was due or another instance holds it.
     */
    public Optional<ObjectKey> runOrg(UUID orgId, boolean force) {
        DigestRow claim = db.inOrg(orgId, tx -> {
            Instant now = EvidenceQueries.lockForDigest(tx);
            Optional<DigestRow> last = EvidenceQueries.lastDigest(tx);
            if (last.isPresent() && last.get().writtenAt() == null) {
                return EvidenceQueries.reclaimDigest(tx, last.get().seq(), now, LEASE) ? last.get() : null;
            }
            boolean pending = EvidenceQueries.hasUndigested(tx, now);
            boolean due = force
                    || last.isEmpty() && pending
                    || last.isPresent() && pending && !now.isBefore(last.get().dueAt().plus(interval))
                    || last.isPresent() && !now.isBefore(last.get().dueAt().plus(HEARTBEAT));
            if (!due) {
                return null;
            }
            Instant dueAt = last.isPresent() && !now.isAfter(last.get().dueAt()) ? last.get().dueAt().plusMillis(1) : now;
            long seq = last.map(d -> d.seq() + 1).orElse(1L);
            String key = ObjectKey.digest(orgId, dueAt).value();
            EvidenceQueries.claimDigest(tx, seq, key, dueAt, LEASE);
            return new DigestRow(seq, key, dueAt, null, null, null, null);
        });
        if (claim == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(write(orgId, claim));
        } catch (RuntimeException e) {
            db.inOrg(orgId, tx -> {
                EvidenceQueries.releaseDigest(tx, claim.seq());
                return null;
            });
            throw e;
        }
    }

    private ObjectKey write(UUID orgId, DigestRow claim) {
        long seq = claim.seq();
        for (SealRow s : db.inOrg(orgId, tx -> EvidenceQueries.sealsWithoutManifest(tx, seq))) {
            manifests.write(orgId, s.recordingId()); // a recording already gone has none; the digest says so
        }
        record Content(List<SealRow> seals, List<RemovalRow> removals, DigestRow previous, AuditLog.Head auditHead) {
        }
        Content c = db.inOrg(orgId, tx -> new Content(EvidenceQueries.digestSeals(tx, seq),
                EvidenceQueries.digestRemovals(tx, seq),
                seq > 1 ? EvidenceQueries.digest(tx, seq - 1).orElseThrow() : null, AuditLog.head(tx).orElse(null)));
        SigningKeys.Signer signer = keys.current(orgId);

        ObjectNode d = CanonicalJson.MAPPER.createObjectNode();
        d.put("format", FORMAT);
        d.put("org_id", orgId.toString());
        d.put("seq", seq);
        d.put("key", claim.objectKey());
        d.put("due_at", Rfc3339.format(claim.dueAt()));
        d.put("key_fingerprint", signer.fingerprint());
        ArrayNode sealed = d.putArray("sealed");
        for (SealRow s : c.seals()) {
            ObjectNode n = sealed.addObject();
            n.put("session_id", s.recordingId().toString());
            n.put("started_at", Rfc3339.format(s.startedAt()));
            n.put("sealed_at", Rfc3339.format(s.sealedAt()));
            n.put("manifest_key", ObjectKey.manifest(orgId, s.recordingId()).value());
            n.put("manifest_sha256", s.manifestSha256() == null ? null : Hashing.hex(s.manifestSha256()));
        }
        ArrayNode removed = d.putArray("removed");
        for (RemovalRow r : c.removals()) {
            ObjectNode n = removed.addObject();
            n.put("session_id", r.recordingId().toString());
            n.put("started_at", Rfc3339.format(r.startedAt()));
            n.put("removed_at", Rfc3339.format(r.removedAt()));
            n.put("reason", r.reason());
            n.put("retention_days", r.retentionDays());
            n.put("actor_id", r.actorId() == null ? null : r.actorId().toString());
        }
        // the audit trail's head when the digest was written: entries cut off its newest end no longer match it
        if (c.auditHead() == null) {
            d.putNull("audit_head");
        } else {
            ObjectNode a = d.putObject("audit_head");
            a.put("seq", c.auditHead().seq());
            a.put("entry_hash", Hashing.hex(c.auditHead().entryHash()));
        }
        if (c.previous() == null) {
            d.putNull("previous");
        } else {
            DigestRow p = c.previous();
            ObjectNode n = d.putObject("previous");
            n.put("seq", p.seq());
            n.put("key", p.objectKey());
            n.put("sha256", Hashing.hex(p.sha256()));
            n.put("signature", Base64.getEncoder().encodeToString(p.signature()));
            n.put("due_at", Rfc3339.format(p.dueAt()));
            n.put("written_at", Rfc3339.format(p.writtenAt()));
            n.put("late", p.writtenAt().isAfter(p.dueAt().plus(interval.compareTo(LATE_AFTER) < 0 ? interval : LATE_AFTER)));
        }
        byte[] json = CanonicalJson.bytes(d);
        byte[] sha = Hashing.sha256(json);
        String sigText = signer.sign(Sshsig.DIGEST_NAMESPACE, json);
        byte[] sig = sigText.getBytes(StandardCharsets.US_ASCII);
        ObjectKey key = ObjectKey.parse(claim.objectKey());
        blobs.put(key, json, sha, "application/json");
        blobs.put(ObjectKey.signatureOf(key), sig, Hashing.sha256(sig), "text/plain");
        byte[] rawSig = Sshsig.parse(sigText).signature();
        db.inOrg(orgId, tx -> {
            EvidenceQueries.markDigestWritten(tx, seq, sha, rawSig);
            return null;
        });
        LOG.info("digest {} of org {}: {} sealed, {} removed", key, orgId, c.seals().size(), c.removals().size());
        return key;
    }
}
