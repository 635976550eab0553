package io.castvault.storage;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The port's contract on the in-memory store, and its faults doing what they say. */
class InMemoryBlobStoreContractTest extends BlobStoreContractTest {
    final FaultyBlobStore store = new FaultyBlobStore();

    @Override
    BlobStore store() {
        return store;
    }

    @Test
    void faultsHappenBeforeOrAfterTheOperationTakesEffect() {
        byte[] data = "x".getBytes(StandardCharsets.UTF_8);
        ObjectKey a = ObjectKey.chunk(ORG, UUID.randomUUID(), 0);
        store.failNext(FaultyBlobStore.Op.PUT, FaultyBlobStore.Fault.FAIL);
        assertTrue(assertThrows(StorageException.class, () -> store.put(a, data, sha256(data), "t")).retryable());
        assertFalse(store.contains(a));
        store.failNext(FaultyBlobStore.Op.PUT, FaultyBlobStore.Fault.FAIL_AFTER);
        assertThrows(StorageException.class, () -> store.put(a, data, sha256(data), "t"));
        assertTrue(store.contains(a));
        store.lose(a);
        assertEquals(StorageException.Kind.NOT_FOUND, assertThrows(StorageException.class, () -> store.get(a)).kind());
    }
}
