package io.castvault.recording;

import io.castvault.storage.BlobStore;

import java.util.UUID;

/**
 * Where a recording goes that is written before its row exists (agent ingest: the sealed cast and summary first,
 * the row after). The store is decided once, before the first byte; the bytes go there and the row records that
 * same store, whatever the org's settings say by the time the row is inserted.
 */
@FunctionalInterface
public interface StorePlacement {

    Placement place(UUID orgId);

    /** @param storeId the org store's id, null for the platform store (the row's {@code store_id}) */
    record Placement(UUID storeId, BlobStore store) {
    }

    /** One store for everything, recorded as the platform store: a service without org stores. */
    static StorePlacement only(BlobStore store) {
        return orgId -> new Placement(null, store);
    }
}
