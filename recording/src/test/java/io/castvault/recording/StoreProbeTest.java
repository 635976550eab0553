package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.storage.BlobInfo;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ByteRange;
import io.castvault.storage.DeleteResult;
import io.castvault.storage.FaultyBlobStore;
import io.castvault.storage.ListingPage;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;
import io.castvault.storage.WriteCondition;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The custom store's probe (the real S3 server's side is CustomStorageTest's): what it refuses to save. */
class StoreProbeTest {
    @Test
    void aStoreThatHonoursConditionalWritesPassesAndKeepsNothing() {
        FaultyBlobStore store = new FaultyBlobStore();
        assertDoesNotThrow(() -> StoreProbe.check(store, UUID.randomUUID()));
        assertEquals(List.of(), store.keys(), "the test object is deleted");
    }

    @Test
    void aStoreThatIgnoresConditionalWritesIsNotSaved() {
        assertNotSaved(false, "ignores conditional writes");
    }

    @Test
    void aStoreThatDoesNotImplementConditionalWritesIsNotSavedAndSaysWhy() {
        assertNotSaved(true, "does not implement a request the service needs");
    }

    private static void assertNotSaved(boolean answers501, String why) {
        FaultyBlobStore store = new FaultyBlobStore();
        CastvaultException e = assertThrows(CastvaultException.class,
                () -> StoreProbe.check(new WithoutConditions(store, answers501), UUID.randomUUID()));
        assertEquals(ErrorCode.INVALID_INPUT, e.code());
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertEquals(List.of(), store.keys(), "the test object is deleted");
    }

    /**
     * A store without conditional writes, as some S3-compatible servers are: it takes every write whatever it was
     * conditional on, or ({@code answers501}) answers a conditional one 501 Not Implemented.
     */
    private record WithoutConditions(BlobStore store, boolean answers501) implements BlobStore {
        @Override
        public void ensureBucket() {
            store.ensureBucket();
        }

        @Override
        public void put(ObjectKey key, byte[] content, byte[] sha256, String contentType, WriteCondition condition) {
            refuse(key, condition);
            store.put(key, content, sha256, contentType, WriteCondition.ANY);
        }

        @Override
        public void put(ObjectKey key, Path file, byte[] sha256, String contentType, WriteCondition condition) {
            refuse(key, condition);
            store.put(key, file, sha256, contentType, WriteCondition.ANY);
        }

        private void refuse(ObjectKey key, WriteCondition condition) {
            if (answers501 && condition != WriteCondition.ANY) {
                throw new StorageException(StorageException.Kind.UNAVAILABLE,
                        "put " + key + " failed: HTTP 501 NotImplemented", null);
            }
        }

        @Override
        public InputStream get(ObjectKey key) {
            return store.get(key);
        }

        @Override
        public InputStream get(ObjectKey key, ByteRange range) {
            return store.get(key, range);
        }

        @Override
        public Optional<BlobInfo> head(ObjectKey key) {
            return store.head(key);
        }

        @Override
        public List<ObjectKey> list(ObjectKey.Prefix prefix) {
            return store.list(prefix);
        }

        @Override
        public ListingPage listPage(ObjectKey.Prefix prefix, String startAfter, int max) {
            return store.listPage(prefix, startAfter, max);
        }

        @Override
        public URI presignGet(ObjectKey key, Duration ttl) {
            return store.presignGet(key, ttl);
        }

        @Override
        public DeleteResult delete(Collection<ObjectKey> keys) {
            return store.delete(keys);
        }

        @Override
        public void ping() {
            store.ping();
        }
    }
}
