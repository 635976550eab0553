package io.castvault.db;

import org.jooq.Record;
import org.jooq.impl.DSL;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.ORG_SETTINGS;
import static io.castvault.db.jooq.Tables.ORG_STORAGE;
import static io.castvault.db.jooq.Tables.SESSION_RECORDINGS;

/** The org's own object stores (issue 18) and which store each recording lives in. */
public final class StorageQueries {
    private StorageQueries() {
    }

    /** A custom store as kept: the keys are still sealed (AES-GCM), only the storage module's caller opens them. */
    public record StoreRow(UUID id, UUID orgId, String endpoint, String region, String bucket, String prefix,
                           boolean pathStyle, byte[] accessKeySealed, byte[] secretKeySealed, int version,
                           Instant updatedAt) {
    }

    public record NewStore(String endpoint, String region, String bucket, String prefix, boolean pathStyle,
                           byte[] accessKeySealed, byte[] secretKeySealed) {
    }

    /**
     * Saves the store and returns its id. The same endpoint, bucket and prefix again is the same place: its keys
     * are replaced (a rotation) and its version bumped, so recordings already there keep working with the new keys.
     */
    public static UUID save(Tx tx, NewStore s) {
        return tx.dsl().insertInto(ORG_STORAGE)
                .set(ORG_STORAGE.ID, UUID.randomUUID())
                .set(ORG_STORAGE.ORG_ID, tx.requireOrg())
                .set(ORG_STORAGE.ENDPOINT, s.endpoint())
                .set(ORG_STORAGE.REGION, s.region())
                .set(ORG_STORAGE.BUCKET, s.bucket())
                .set(ORG_STORAGE.KEY_PREFIX, s.prefix())
                .set(ORG_STORAGE.PATH_STYLE, s.pathStyle())
                .set(ORG_STORAGE.ACCESS_KEY_ENC, s.accessKeySealed())
                .set(ORG_STORAGE.SECRET_KEY_ENC, s.secretKeySealed())
                .onConflict(ORG_STORAGE.ORG_ID, ORG_STORAGE.ENDPOINT, ORG_STORAGE.BUCKET, ORG_STORAGE.KEY_PREFIX)
                .doUpdate()
                .set(ORG_STORAGE.REGION, s.region())
                .set(ORG_STORAGE.PATH_STYLE, s.pathStyle())
                .set(ORG_STORAGE.ACCESS_KEY_ENC, s.accessKeySealed())
                .set(ORG_STORAGE.SECRET_KEY_ENC, s.secretKeySealed())
                .set(ORG_STORAGE.VERSION, ORG_STORAGE.VERSION.plus(1))
                .set(ORG_STORAGE.UPDATED_AT, DSL.currentInstant())
                .returning(ORG_STORAGE.ID)
                .fetchOne(ORG_STORAGE.ID);
    }

    /** Makes {@code storeId} the org's custom store: where its next recordings go while the mode is custom. */
    public static void setCurrent(Tx tx, UUID storeId) {
        tx.dsl().insertInto(ORG_SETTINGS, ORG_SETTINGS.ORG_ID, ORG_SETTINGS.CUSTOM_STORE_ID)
                .values(tx.requireOrg(), storeId)
                .onConflict(ORG_SETTINGS.ORG_ID).doUpdate()
                .set(ORG_SETTINGS.CUSTOM_STORE_ID, storeId)
                .set(ORG_SETTINGS.UPDATED_AT, DSL.currentInstant())
                .execute();
    }

    /** The org's configured custom store, whatever the mode (the settings page shows it either way). */
    public static Optional<StoreRow> current(Tx tx) {
        return tx.dsl().select(ORG_STORAGE.fields()).from(ORG_STORAGE)
                .join(ORG_SETTINGS).on(ORG_SETTINGS.CUSTOM_STORE_ID.eq(ORG_STORAGE.ID))
                .where(ORG_SETTINGS.ORG_ID.eq(tx.requireOrg()))
                .fetchOptional(StorageQueries::row);
    }

    /** Where the org's digests and new recordings go now: its custom store in custom mode, else empty (platform). */
    public static Optional<UUID> active(Tx tx) {
        return tx.dsl().select(ORG_SETTINGS.CUSTOM_STORE_ID).from(ORG_SETTINGS)
                .where(ORG_SETTINGS.ORG_ID.eq(tx.requireOrg()))
                .and(ORG_SETTINGS.RECORDING_STORAGE_MODE.eq("custom"))
                .fetchOptional(ORG_SETTINGS.CUSTOM_STORE_ID);
    }

    public static Optional<StoreRow> find(Tx tx, UUID storeId) {
        return tx.dsl().selectFrom(ORG_STORAGE)
                .where(ORG_STORAGE.ORG_ID.eq(tx.requireOrg())).and(ORG_STORAGE.ID.eq(storeId))
                .fetchOptional(StorageQueries::row);
    }

    /** Every store the org has ever used: an org-wide listing (evidence bundle, verification) must look in each. */
    public static List<StoreRow> ofOrg(Tx tx) {
        return tx.dsl().selectFrom(ORG_STORAGE).where(ORG_STORAGE.ORG_ID.eq(tx.requireOrg()))
                .orderBy(ORG_STORAGE.ID).fetch(StorageQueries::row);
    }

    /** Every custom store of every org, for the orphan sweep; needs a cross-org transaction. */
    public static List<StoreRow> all(Tx tx) {
        return tx.dsl().selectFrom(ORG_STORAGE).orderBy(ORG_STORAGE.ID).fetch(StorageQueries::row);
    }

    /** Where a recording lives; {@code storeId} null is the platform store. */
    public record RecordingStore(UUID storeId) {
    }

    /** The store a recording was started in; empty when there is no such row (nothing to remember then). */
    public static Optional<RecordingStore> storeOf(Tx tx, UUID recordingId) {
        return tx.dsl().select(SESSION_RECORDINGS.STORE_ID).from(SESSION_RECORDINGS)
                .where(SESSION_RECORDINGS.ORG_ID.eq(tx.requireOrg())).and(SESSION_RECORDINGS.ID.eq(recordingId))
                .fetchOptional(r -> new RecordingStore(r.value1()));
    }

    /**
     * The stores of many recordings of the transaction's org in one query: each id with a row maps to its store
     * (empty: the platform store); ids without a row are absent.
     */
    public static Map<UUID, Optional<UUID>> storesOf(Tx tx, Collection<UUID> recordingIds) {
        Map<UUID, Optional<UUID>> stores = new HashMap<>();
        tx.dsl().select(SESSION_RECORDINGS.ID, SESSION_RECORDINGS.STORE_ID).from(SESSION_RECORDINGS)
                .where(SESSION_RECORDINGS.ORG_ID.eq(tx.requireOrg())).and(UuidArrays.anyOf(SESSION_RECORDINGS.ID, recordingIds))
                .forEach(r -> stores.put(r.value1(), Optional.ofNullable(r.value2())));
        return stores;
    }

    /**
     * Records the store a recording's objects were written to before its row existed (agent ingest), in the
     * transaction that inserts the row: the insert trigger's choice is the org's setting at insert time, which may
     * have changed since the first byte went up. {@code storeId} null is the platform store.
     */
    public static void placeRecording(Tx tx, UUID recordingId, UUID storeId) {
        tx.dsl().update(SESSION_RECORDINGS).set(SESSION_RECORDINGS.STORE_ID, storeId)
                .where(SESSION_RECORDINGS.ORG_ID.eq(tx.requireOrg())).and(SESSION_RECORDINGS.ID.eq(recordingId))
                // the usual case (no switch meanwhile) rewrites nothing
                .and(SESSION_RECORDINGS.STORE_ID.isDistinctFrom(storeId))
                .execute();
    }

    private static StoreRow row(Record r) {
        return new StoreRow(r.get(ORG_STORAGE.ID), r.get(ORG_STORAGE.ORG_ID), r.get(ORG_STORAGE.ENDPOINT),
                r.get(ORG_STORAGE.REGION), r.get(ORG_STORAGE.BUCKET), r.get(ORG_STORAGE.KEY_PREFIX),
                r.get(ORG_STORAGE.PATH_STYLE), r.get(ORG_STORAGE.ACCESS_KEY_ENC), r.get(ORG_STORAGE.SECRET_KEY_ENC),
                r.get(ORG_STORAGE.VERSION), r.get(ORG_STORAGE.UPDATED_AT));
    }
}
