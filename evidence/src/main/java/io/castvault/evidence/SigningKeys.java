package io.castvault.evidence;

import io.castvault.db.Database;
import io.castvault.db.EvidenceQueries;
import io.castvault.db.EvidenceQueries.SigningKeyRow;
import io.castvault.db.Tx;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * One Ed25519 key pair per org. The current key signs; rotation retires it (valid_until) and makes a new one;
 * retired keys stay published because what they signed stays valid. The private seed is stored only AES-GCM
 * encrypted under the master key.
 */
public final class SigningKeys {
    private final Database db;
    private final MasterKey master;

    public SigningKeys(Database db, MasterKey master) {
        this.db = db;
        this.master = master;
    }

    /** The key that signs now. */
    public record Signer(String fingerprint, byte[] rawPublic, PrivateKey privateKey) {
        public String sign(String namespace, byte[] message) {
            return Sshsig.sign(privateKey, rawPublic, namespace, message);
        }
    }

    public record PublicKeyInfo(String fingerprint, String publicKey, Instant validFrom, Instant validUntil) {
    }

    /** The org's current signer, created on first use (once, also when instances race). */
    public Signer current(UUID orgId) {
        SigningKeyRow row = db.inOrg(orgId, tx -> EvidenceQueries.currentKey(tx).orElseGet(() -> {
            EvidenceQueries.lockKeys(tx);
            return EvidenceQueries.currentKey(tx).orElseGet(() -> create(tx, orgId));
        }));
        return open(orgId, row);
    }

    /** A rotation: the key retired (null when the org had none yet) and the new one. */
    public record Rotation(String previousFingerprint, String fingerprint) {
    }

    /**
     * Retires the current key and installs a new one; answers the new fingerprint. {@code inSameTransaction}
     * records the rotation (audit entry, event) in the transaction that makes it.
     */
    public String rotate(UUID orgId, BiConsumer<Tx, Rotation> inSameTransaction) {
        return db.inOrg(orgId, tx -> {
            EvidenceQueries.lockKeys(tx);
            String previous = EvidenceQueries.currentKey(tx).map(EvidenceQueries.SigningKeyRow::fingerprint).orElse(null);
            EvidenceQueries.retireCurrentKey(tx);
            String fingerprint = create(tx, orgId).fingerprint();
            inSameTransaction.accept(tx, new Rotation(previous, fingerprint));
            return fingerprint;
        });
    }

    /** Every key the org ever used, oldest first; creates the first one so there is always something to publish. */
    public List<PublicKeyInfo> publicKeys(UUID orgId) {
        current(orgId);
        return db.inOrg(orgId, tx -> EvidenceQueries.keys(tx).stream()
                .map(k -> new PublicKeyInfo(k.fingerprint(), k.publicKey(), k.validFrom(), k.validUntil())).toList());
    }

    /**
     * An OpenSSH allowed_signers file naming every key of the org, principal = org id, restricted to the two
     * namespaces the service signs in.
     */
    public static String allowedSigners(UUID orgId, List<PublicKeyInfo> keys) {
        StringBuilder sb = new StringBuilder();
        for (PublicKeyInfo k : keys) {
            sb.append(orgId).append(" namespaces=\"").append(Sshsig.RECORDING_NAMESPACE).append(',')
                    .append(Sshsig.DIGEST_NAMESPACE).append("\" ").append(k.publicKey()).append('\n');
        }
        return sb.toString();
    }

    private SigningKeyRow create(Tx tx, UUID orgId) {
        KeyPair pair = SshKeys.generate();
        UUID id = UUID.randomUUID();
        byte[] raw = SshKeys.rawPublic(pair.getPublic());
        byte[] enc = master.seal(SshKeys.seed(pair.getPrivate()), context(orgId, id));
        if (!EvidenceQueries.insertCurrentKey(tx, id, SshKeys.fingerprint(raw), SshKeys.publicKeyText(raw), enc)) {
            throw new IllegalStateException("another current signing key appeared while holding the key lock");
        }
        return EvidenceQueries.currentKey(tx).orElseThrow();
    }

    private Signer open(UUID orgId, SigningKeyRow row) {
        byte[] raw = SshKeys.parsePublicKeyText(row.publicKey());
        PrivateKey key = SshKeys.privateFromSeed(master.open(row.privateKeyEnc(), context(orgId, row.id())));
        return new Signer(row.fingerprint(), raw, key);
    }

    private static String context(UUID orgId, UUID keyId) {
        return "castvault-signing-key:" + orgId + ":" + keyId;
    }
}
