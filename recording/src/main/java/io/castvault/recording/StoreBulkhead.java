package io.castvault.recording;

import io.castvault.storage.BlobInfo;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ByteRange;
import io.castvault.storage.DeleteResult;
import io.castvault.storage.ListingPage;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;
import io.castvault.storage.WriteCondition;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * At most {@code limit} calls at once into one org's own store; beyond that the call fails at once (503). A
 * stalled org bucket then holds a few of the service's upload slots and threads for its timeout, never all of
 * them, so the other orgs keep their speed.
 */
final class StoreBulkhead implements BlobStore {
    private final BlobStore store;
    private final Semaphore permits;

    StoreBulkhead(BlobStore store, int limit) {
        this.store = store;
        this.permits = new Semaphore(limit);
    }

    private <T> T call(Supplier<T> step) {
        if (!permits.tryAcquire()) {
            throw new StorageException(StorageException.Kind.UNAVAILABLE,
                    "the org's own store is not keeping up (too many calls waiting on it); retry shortly", null);
        }
        try {
            return step.get();
        } finally {
            permits.release();
        }
    }

    @Override
    public void ensureBucket() {
        call(() -> {
            store.ensureBucket();
            return null;
        });
    }

    @Override
    public void put(ObjectKey key, byte[] content, byte[] sha256, String contentType, WriteCondition condition) {
        call(() -> {
            store.put(key, content, sha256, contentType, condition);
            return null;
        });
    }

    @Override
    public void put(ObjectKey key, Path file, byte[] sha256, String contentType, WriteCondition condition) {
        call(() -> {
            store.put(key, file, sha256, contentType, condition);
            return null;
        });
    }

    @Override
    public InputStream get(ObjectKey key) {
        return call(() -> store.get(key));
    }

    @Override
    public InputStream get(ObjectKey key, ByteRange range) {
        return call(() -> store.get(key, range));
    }

    @Override
    public Optional<BlobInfo> head(ObjectKey key) {
        return call(() -> store.head(key));
    }

    @Override
    public List<ObjectKey> list(ObjectKey.Prefix prefix) {
        return call(() -> store.list(prefix));
    }

    @Override
    public ListingPage listPage(ObjectKey.Prefix prefix, String startAfter, int max) {
        return call(() -> store.listPage(prefix, startAfter, max));
    }

    /** No call to the store is made. */
    @Override
    public URI presignGet(ObjectKey key, Duration ttl) {
        return store.presignGet(key, ttl);
    }

    @Override
    public DeleteResult delete(Collection<ObjectKey> keys) {
        return call(() -> store.delete(keys));
    }

    @Override
    public void ping() {
        call(() -> {
            store.ping();
            return null;
        });
    }
}
