package io.castvault.recording;

import io.castvault.storage.BlobStore;

import java.util.UUID;

/**
 * Wraps the client of an org's own store as it is built, so the api module can meter each call and tell which
 * stores are failing without a metrics library in this module. The id is for telling stores apart, never a label.
 */
@FunctionalInterface
public interface StoreObserver {
    BlobStore observe(UUID storeId, BlobStore store);
}
