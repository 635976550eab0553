package io.castvault.recording;

import io.castvault.storage.BlobStore;

import java.util.UUID;

/**
 * Where a recording goes that is written before its row exists (agent ingest: the sealed cast and summary first,
 * the row after). The store is decided once, before the first byte; the bytes go there and the row records that
 * same store, whatever the org's settings say by the time the row is inserted. And where one lives whose row is
 * gone already (retention removes rows before objects): in the store its row recorded.
 */
public interface StorePlacement {

    Placement place(UUID orgId);

    /** The store a row recorded as {@code storeId} (null: the platform store). */
    BlobStore placed(UUID orgId, UUID storeId);

    /** @param storeId the org store's id, null for the platform store (the row's {@code store_id}) */
    record Placement(UUID storeId, BlobStore store) {
    }

    /** One store for everything, recorded as the platform store: a service without org stores. */
    static StorePlacement only(BlobStore store) {
        return new StorePlacement() {
            @Override
            public Placement place(UUID orgId) {
                return new Placement(null, store);
            }

            @Override
            public BlobStore placed(UUID orgId, UUID storeId) {
                return store;
            }
        };
    }
}
