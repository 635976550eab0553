package io.castvault.storage;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The object-storage port. Every failure is a {@link StorageException}; nothing of the underlying SDK escapes.
 */
public interface BlobStore {

    /** Creates the bucket when it does not exist yet. */
    void ensureBucket();

    /**
     * Stores {@code content}; the store verifies it against {@code sha256} so what is kept is what was hashed.
     * {@code content} is not copied: it must not change while the call runs.
     */
    default void put(ObjectKey key, byte[] content, byte[] sha256, String contentType) {
        put(key, content, sha256, contentType, WriteCondition.ANY);
    }

    /** As {@link #put(ObjectKey, byte[], byte[], String)}, only if {@code condition} holds when the object lands. */
    void put(ObjectKey key, byte[] content, byte[] sha256, String contentType, WriteCondition condition);

    /** Stores a file of any size, in parts when it is large, without reading it into memory. */
    default void put(ObjectKey key, Path file, byte[] sha256, String contentType) {
        put(key, file, sha256, contentType, WriteCondition.ANY);
    }

    /** As {@link #put(ObjectKey, Path, byte[], String)}, only if {@code condition} holds when the object lands. */
    void put(ObjectKey key, Path file, byte[] sha256, String contentType, WriteCondition condition);

    /** Opens the object for streaming; a missing object is {@link StorageException.Kind#NOT_FOUND}. */
    InputStream get(ObjectKey key);

    /** Opens {@code range} of the object; a missing object is {@link StorageException.Kind#NOT_FOUND}. */
    InputStream get(ObjectKey key, ByteRange range);

    Optional<BlobInfo> head(ObjectKey key);

    /** Every key under {@code prefix}, following pagination. */
    List<ObjectKey> list(ObjectKey.Prefix prefix);

    /**
     * At most {@code max} keys under {@code prefix} that sort after {@code startAfter} (null: from the start), so
     * a sweep can walk a large bucket a bounded step per run.
     */
    ListingPage listPage(ObjectKey.Prefix prefix, String startAfter, int max);

    /** A URL anyone holding it may GET the object with until {@code ttl} has passed; no call to the store is made. */
    java.net.URI presignGet(ObjectKey key, java.time.Duration ttl);

    /** Deletes in batches of at most 1000 keys; per-key failures are collected, not thrown. */
    DeleteResult delete(Collection<ObjectKey> keys);

    /** Answers only when the bucket is reachable; for health checks. */
    void ping();
}
