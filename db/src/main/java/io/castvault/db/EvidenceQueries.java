package io.castvault.db;

import org.jooq.Field;
import org.jooq.impl.DSL;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.EVIDENCE_DIGESTS;
import static io.castvault.db.jooq.Tables.EVIDENCE_REMOVALS;
import static io.castvault.db.jooq.Tables.EVIDENCE_SEALS;
import static io.castvault.db.jooq.Tables.SIGNING_KEYS;

/**
 * Signing keys, the seal and removal log (filled by the V7 trigger inside the sealing or deleting transaction)
 * and the digest chain's claims. Every query runs in an org-scoped transaction unless it says otherwise.
 */
public final class EvidenceQueries {
    private static final Field<Instant> CLOCK_MS =
            DSL.field("date_trunc('milliseconds', clock_timestamp())", Instant.class);

    private EvidenceQueries() {
    }

    public record SigningKeyRow(UUID id, String fingerprint, String publicKey, byte[] privateKeyEnc,
                                Instant validFrom, Instant validUntil) {
    }

    public record SealRow(UUID recordingId, UUID orgId, Instant startedAt, Instant sealedAt, byte[] manifestSha256,
                          Long digestSeq) {
    }

    public record RemovalRow(UUID recordingId, Instant startedAt, Instant removedAt, String reason, int retentionDays,
                             UUID actorId) {
    }

    public record DigestRow(long seq, String objectKey, Instant dueAt, Instant claimedUntil, Instant writtenAt,
                            byte[] sha256, byte[] signature) {
    }

    // --- signing keys ---------------------------------------------------------------------------------------

    public static Optional<SigningKeyRow> currentKey(Tx tx) {
        return tx.dsl().selectFrom(SIGNING_KEYS)
                .where(SIGNING_KEYS.ORG_ID.eq(tx.requireOrg()).and(SIGNING_KEYS.VALID_UNTIL.isNull()))
                .fetchOptional(EvidenceQueries::key);
    }

    /** Every key the org ever used, oldest first. */
    public static List<SigningKeyRow> keys(Tx tx) {
        return tx.dsl().selectFrom(SIGNING_KEYS).where(SIGNING_KEYS.ORG_ID.eq(tx.requireOrg()))
                .orderBy(SIGNING_KEYS.VALID_FROM, SIGNING_KEYS.ID).fetch(EvidenceQueries::key);
    }

    /** False when another transaction installed a current key first (the partial unique index decides). */
    public static boolean insertCurrentKey(Tx tx, UUID id, String fingerprint, String publicKey, byte[] privateKeyEnc) {
        return tx.dsl().insertInto(SIGNING_KEYS)
                .set(SIGNING_KEYS.ID, id)
                .set(SIGNING_KEYS.ORG_ID, tx.requireOrg())
                .set(SIGNING_KEYS.FINGERPRINT, fingerprint)
                .set(SIGNING_KEYS.PUBLIC_KEY, publicKey)
                .set(SIGNING_KEYS.PRIVATE_KEY_ENC, privateKeyEnc)
                .onConflictDoNothing()
                .execute() == 1;
    }

    /** Ends the current key's validity; it stays listed, as it still vouches for what it signed. */
    public static void retireCurrentKey(Tx tx) {
        tx.dsl().update(SIGNING_KEYS).set(SIGNING_KEYS.VALID_UNTIL, DSL.currentInstant())
                .where(SIGNING_KEYS.ORG_ID.eq(tx.requireOrg()).and(SIGNING_KEYS.VALID_UNTIL.isNull()))
                .execute();
    }

    /** Serialises key creation and rotation per org for the rest of the transaction. */
    public static void lockKeys(Tx tx) {
        tx.dsl().execute("SELECT pg_advisory_xact_lock(castvault_evidence_lock_key({0}::uuid) # 1)", tx.requireOrg());
    }

    private static SigningKeyRow key(io.castvault.db.jooq.tables.records.SigningKeysRecord r) {
        return new SigningKeyRow(r.getId(), r.getFingerprint(), r.getPublicKey(), r.getPrivateKeyEnc(),
                r.getValidFrom(), r.getValidUntil());
    }

    // --- removal reasons --------------------------------------------------------------------------------------

    /**
     * States why recordings this transaction marks {@code deleting} or removes are removed; the triggers of V7 and
     * V16 record it with each removal. Without it a removal is logged as {@code unexplained}, which the verifier reports.
     */
    public static void stateRemovalReason(Tx tx, String reason, UUID actorId) {
        if (!reason.equals("retention") && !reason.equals("admin_delete")) {
            throw new IllegalArgumentException(reason);
        }
        tx.dsl().execute("SELECT set_config('castvault.removal_reason', {0}, true), set_config('castvault.removal_actor', {1}, true)",
                reason, actorId == null ? "" : actorId.toString());
    }

    // --- seals ------------------------------------------------------------------------------------------------

    public static Optional<SealRow> seal(Tx tx, UUID recordingId) {
        return tx.dsl().selectFrom(EVIDENCE_SEALS)
                .where(EVIDENCE_SEALS.ORG_ID.eq(tx.requireOrg()).and(EVIDENCE_SEALS.RECORDING_ID.eq(recordingId)))
                .fetchOptional(EvidenceQueries::seal);
    }

    public static void setManifestSha256(Tx tx, UUID recordingId, byte[] sha256) {
        tx.dsl().update(EVIDENCE_SEALS).set(EVIDENCE_SEALS.MANIFEST_SHA256, sha256)
                .where(EVIDENCE_SEALS.ORG_ID.eq(tx.requireOrg()).and(EVIDENCE_SEALS.RECORDING_ID.eq(recordingId)))
                .execute();
    }

    /** Seals listed in digest {@code seq} whose manifest is not written yet. */
    public static List<SealRow> sealsWithoutManifest(Tx tx, long seq) {
        return tx.dsl().selectFrom(EVIDENCE_SEALS)
                .where(EVIDENCE_SEALS.ORG_ID.eq(tx.requireOrg()).and(EVIDENCE_SEALS.DIGEST_SEQ.eq(seq))
                        .and(EVIDENCE_SEALS.MANIFEST_SHA256.isNull()))
                .fetch(EvidenceQueries::seal);
    }

    /** The digest that lists the recording's removal, if one does. */
    public static Optional<Long> removalDigestSeq(Tx tx, UUID recordingId) {
        return tx.dsl().select(EVIDENCE_REMOVALS.DIGEST_SEQ).from(EVIDENCE_REMOVALS)
                .where(EVIDENCE_REMOVALS.ORG_ID.eq(tx.requireOrg()).and(EVIDENCE_REMOVALS.RECORDING_ID.eq(recordingId)))
                .fetchOptional(EVIDENCE_REMOVALS.DIGEST_SEQ);
    }

    private static SealRow seal(io.castvault.db.jooq.tables.records.EvidenceSealsRecord r) {
        return new SealRow(r.getRecordingId(), r.getOrgId(), r.getStartedAt(), r.getSealedAt(), r.getManifestSha256(),
                r.getDigestSeq());
    }

    // --- digests ------------------------------------------------------------------------------------------------

    /** Orgs that have evidence (across orgs): every org that ever sealed a recording or has a digest. */
    public static List<UUID> orgsWithEvidence(Tx tx) {
        return tx.dsl().selectDistinct(EVIDENCE_SEALS.ORG_ID).from(EVIDENCE_SEALS)
                .union(DSL.selectDistinct(EVIDENCE_DIGESTS.ORG_ID).from(EVIDENCE_DIGESTS))
                .fetch(r -> r.value1());
    }

    /**
     * Takes the org's evidence lock exclusively for the rest of the transaction (seals take it shared) and
     * answers the database clock after it is held, to the millisecond.
     */
    public static Instant lockForDigest(Tx tx) {
        tx.dsl().execute("SELECT pg_advisory_xact_lock(castvault_evidence_lock_key({0}::uuid))", tx.requireOrg());
        return tx.dsl().select(CLOCK_MS).fetchOne(CLOCK_MS);
    }

    public static Optional<DigestRow> lastDigest(Tx tx) {
        return tx.dsl().selectFrom(EVIDENCE_DIGESTS).where(EVIDENCE_DIGESTS.ORG_ID.eq(tx.requireOrg()))
                .orderBy(EVIDENCE_DIGESTS.SEQ.desc()).limit(1).fetchOptional(EvidenceQueries::digest);
    }

    public static Optional<DigestRow> digest(Tx tx, long seq) {
        return tx.dsl().selectFrom(EVIDENCE_DIGESTS)
                .where(EVIDENCE_DIGESTS.ORG_ID.eq(tx.requireOrg()).and(EVIDENCE_DIGESTS.SEQ.eq(seq)))
                .fetchOptional(EvidenceQueries::digest);
    }

    /** Whether anything sealed or removed up to {@code until} awaits a digest. */
    public static boolean hasUndigested(Tx tx, Instant until) {
        UUID org = tx.requireOrg();
        return tx.dsl().fetchExists(EVIDENCE_SEALS, EVIDENCE_SEALS.ORG_ID.eq(org)
                        .and(EVIDENCE_SEALS.DIGEST_SEQ.isNull()).and(EVIDENCE_SEALS.SEALED_AT.le(until)))
                || tx.dsl().fetchExists(EVIDENCE_REMOVALS, EVIDENCE_REMOVALS.ORG_ID.eq(org)
                        .and(EVIDENCE_REMOVALS.DIGEST_SEQ.isNull()).and(EVIDENCE_REMOVALS.REMOVED_AT.le(until)));
    }

    /** Claims digest {@code seq} for {@code lease} and assigns it everything sealed or removed up to {@code dueAt}. */
    public static void claimDigest(Tx tx, long seq, String objectKey, Instant dueAt, Duration lease) {
        UUID org = tx.requireOrg();
        tx.dsl().insertInto(EVIDENCE_DIGESTS)
                .set(EVIDENCE_DIGESTS.ORG_ID, org)
                .set(EVIDENCE_DIGESTS.SEQ, seq)
                .set(EVIDENCE_DIGESTS.OBJECT_KEY, objectKey)
                .set(EVIDENCE_DIGESTS.DUE_AT, dueAt)
                .set(EVIDENCE_DIGESTS.CLAIMED_UNTIL, dueAt.plus(lease))
                .execute();
        tx.dsl().update(EVIDENCE_SEALS).set(EVIDENCE_SEALS.DIGEST_SEQ, seq)
                .where(EVIDENCE_SEALS.ORG_ID.eq(org).and(EVIDENCE_SEALS.DIGEST_SEQ.isNull())
                        .and(EVIDENCE_SEALS.SEALED_AT.le(dueAt)))
                .execute();
        tx.dsl().update(EVIDENCE_REMOVALS).set(EVIDENCE_REMOVALS.DIGEST_SEQ, seq)
                .where(EVIDENCE_REMOVALS.ORG_ID.eq(org).and(EVIDENCE_REMOVALS.DIGEST_SEQ.isNull())
                        .and(EVIDENCE_REMOVALS.REMOVED_AT.le(dueAt)))
                .execute();
    }

    /** Takes over an unwritten digest whose claim has lapsed (its writer died or the store was down). */
    public static boolean reclaimDigest(Tx tx, long seq, Instant now, Duration lease) {
        return tx.dsl().update(EVIDENCE_DIGESTS).set(EVIDENCE_DIGESTS.CLAIMED_UNTIL, now.plus(lease))
                .where(EVIDENCE_DIGESTS.ORG_ID.eq(tx.requireOrg()).and(EVIDENCE_DIGESTS.SEQ.eq(seq))
                        .and(EVIDENCE_DIGESTS.WRITTEN_AT.isNull())
                        .and(EVIDENCE_DIGESTS.CLAIMED_UNTIL.isNull().or(EVIDENCE_DIGESTS.CLAIMED_UNTIL.le(now))))
                .execute() == 1;
    }

    /** Gives up a claim at once (the put failed), so the next run retries without waiting out the lease. */
    public static void releaseDigest(Tx tx, long seq) {
        tx.dsl().update(EVIDENCE_DIGESTS).setNull(EVIDENCE_DIGESTS.CLAIMED_UNTIL)
                .where(EVIDENCE_DIGESTS.ORG_ID.eq(tx.requireOrg()).and(EVIDENCE_DIGESTS.SEQ.eq(seq))
                        .and(EVIDENCE_DIGESTS.WRITTEN_AT.isNull()))
                .execute();
    }

    public static List<SealRow> digestSeals(Tx tx, long seq) {
        return tx.dsl().selectFrom(EVIDENCE_SEALS)
                .where(EVIDENCE_SEALS.ORG_ID.eq(tx.requireOrg()).and(EVIDENCE_SEALS.DIGEST_SEQ.eq(seq)))
                .orderBy(EVIDENCE_SEALS.SEALED_AT, EVIDENCE_SEALS.RECORDING_ID)
                .fetch(EvidenceQueries::seal);
    }

    public static List<RemovalRow> digestRemovals(Tx tx, long seq) {
        return tx.dsl().selectFrom(EVIDENCE_REMOVALS)
                .where(EVIDENCE_REMOVALS.ORG_ID.eq(tx.requireOrg()).and(EVIDENCE_REMOVALS.DIGEST_SEQ.eq(seq)))
                .orderBy(EVIDENCE_REMOVALS.REMOVED_AT, EVIDENCE_REMOVALS.RECORDING_ID)
                .fetch(r -> new RemovalRow(r.getRecordingId(), r.getStartedAt(), r.getRemovedAt(), r.getReason(),
                        r.getRetentionDays(), r.getActorId()));
    }

    /** Records the written digest; the database clock stamps when it became durable. */
    public static void markDigestWritten(Tx tx, long seq, byte[] sha256, byte[] signature) {
        tx.dsl().update(EVIDENCE_DIGESTS)
                .set(EVIDENCE_DIGESTS.WRITTEN_AT, CLOCK_MS)
                .set(EVIDENCE_DIGESTS.SHA256, sha256)
                .set(EVIDENCE_DIGESTS.SIGNATURE, signature)
                .setNull(EVIDENCE_DIGESTS.CLAIMED_UNTIL)
                .where(EVIDENCE_DIGESTS.ORG_ID.eq(tx.requireOrg()).and(EVIDENCE_DIGESTS.SEQ.eq(seq))
                        .and(EVIDENCE_DIGESTS.WRITTEN_AT.isNull()))
                .execute();
    }

    private static DigestRow digest(io.castvault.db.jooq.tables.records.EvidenceDigestsRecord r) {
        return new DigestRow(r.getSeq(), r.getObjectKey(), r.getDueAt(), r.getClaimedUntil(), r.getWrittenAt(),
                r.getSha256(), r.getSignature());
    }
}
