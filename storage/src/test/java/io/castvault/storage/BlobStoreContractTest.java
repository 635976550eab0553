package io.castvault.storage;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link BlobStore} port's promises, run against every implementation: the real S3 server (S3Proxy here, MinIO
 * where Docker runs) and the in-memory store the use-case tests inject faults into, so those tests' fake behaves
 * as the real thing does.
 */
abstract class BlobStoreContractTest {
    static final UUID ORG = UUID.randomUUID();

    abstract BlobStore store();

    @Test
    void putGetHeadRoundTrip() throws Exception {
        UUID rec = UUID.randomUUID();
        ObjectKey key = ObjectKey.chunk(ORG, rec, 0);
        byte[] data = "[0, \"o\", \"hi\"]\n".getBytes(StandardCharsets.UTF_8);
        store().put(key, data, sha256(data), "application/x-asciicast");
        try (InputStream in = store().get(key)) {
            assertArrayEquals(data, in.readAllBytes());
        }
        assertEquals(data.length, store().head(key).orElseThrow().length());
        assertTrue(store().head(ObjectKey.chunk(ORG, rec, 1)).isEmpty());
    }

    @Test
    void aWrongChecksumIsRefusedAndNothingIsStored() {
        ObjectKey key = ObjectKey.chunk(ORG, UUID.randomUUID(), 0);
        byte[] data = "payload".getBytes(StandardCharsets.UTF_8);
        StorageException e = assertThrows(StorageException.class,
                () -> store().put(key, data, sha256("other".getBytes(StandardCharsets.UTF_8)), "text/plain"));
        assertFalse(e.retryable());
        assertEquals(StorageException.Kind.CHECKSUM_MISMATCH, e.kind(), e.getMessage());
        assertTrue(store().head(key).isEmpty());
    }

    /**
     * A conditional write lands only over what its writer saw: no object ({@code If-None-Match: *}) or the version
     * head() reported ({@code If-Match}); otherwise PRECONDITION_FAILED (also for If-Match where there is no
     * object, which S3 answers 404) and the object stays as it was. Bytes and
     * file alike (the seal writes the sealed object from a file and its summary from bytes).
     */
    @Test
    void aConditionalWriteLandsOnlyOverWhatItsWriterSaw() throws Exception {
        ObjectKey key = ObjectKey.cast(ORG, UUID.randomUUID());
        byte[] first = "first".getBytes(StandardCharsets.UTF_8);
        byte[] second = "second".getBytes(StandardCharsets.UTF_8);
        StorageException gone = assertThrows(StorageException.class,
                () -> store().put(key, first, sha256(first), "text/plain", new WriteCondition.Matching("\"v0\"")));
        assertEquals(StorageException.Kind.PRECONDITION_FAILED, gone.kind(), "If-Match where there is no object");
        assertTrue(store().head(key).isEmpty());
        WriteCondition unseen = WriteCondition.replacing(store().head(key));
        assertEquals(new WriteCondition.Absent(), unseen);
        store().put(key, first, sha256(first), "text/plain", unseen);
        assertRefused(() -> store().put(key, second, sha256(second), "text/plain", unseen), key, first);

        WriteCondition seen = WriteCondition.replacing(store().head(key));
        java.nio.file.Path file = java.nio.file.Files.createTempFile("conditional", ".cast");
        try {
            java.nio.file.Files.write(file, second);
            store().put(key, file, sha256(second), "text/plain", seen);
            // the version seen before is gone: a writer still holding it is refused, from bytes and from a file
            assertRefused(() -> store().put(key, first, sha256(first), "text/plain", seen), key, second);
            assertRefused(() -> store().put(key, file, sha256(second), "text/plain", seen), key, second);
            assertRefused(() -> store().put(key, file, sha256(second), "text/plain", unseen), key, second);
        } finally {
            java.nio.file.Files.delete(file);
        }
        // an unconditional write still replaces whatever is there
        store().put(key, first, sha256(first), "text/plain");
        try (InputStream in = store().get(key)) {
            assertArrayEquals(first, in.readAllBytes());
        }
    }

    private void assertRefused(Runnable write, ObjectKey key, byte[] kept) throws Exception {
        StorageException e = assertThrows(StorageException.class, write::run);
        assertEquals(StorageException.Kind.PRECONDITION_FAILED, e.kind(), e.getMessage());
        assertFalse(e.retryable());
        try (InputStream in = store().get(key)) {
            assertArrayEquals(kept, in.readAllBytes());
        }
    }

    @Test
    void aMissingObjectIsNotFound() {
        StorageException e = assertThrows(StorageException.class, () -> store().get(ObjectKey.summary(ORG, UUID.randomUUID())));
        assertEquals(StorageException.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void listFollowsPaginationAndDeleteBatchesMoreThanAThousandKeys() {
        UUID rec = UUID.randomUUID();
        List<ObjectKey> keys = new ArrayList<>();
        byte[] data = "[0, \"o\", \"x\"]".getBytes(StandardCharsets.UTF_8);
        byte[] sha = sha256(data);
        for (int i = 0; i < 1203; i++) {
            ObjectKey k = ObjectKey.chunk(ORG, rec, i);
            store().put(k, data, sha, "application/x-asciicast");
            keys.add(k);
        }
        store().put(ObjectKey.summary(ORG, rec), data, sha, "application/json");
        List<ObjectKey.Prefix> prefixes = ObjectKey.recordingPrefixes(ORG, rec);
        assertEquals(1203, store().list(prefixes.get(0)).size());
        assertEquals(List.of(ObjectKey.summary(ORG, rec)), store().list(prefixes.get(1)));

        keys.add(ObjectKey.summary(ORG, rec));
        keys.add(ObjectKey.chunk(ORG, rec, 99_999)); // never existed: S3 reports it deleted too
        DeleteResult result = store().delete(keys);
        assertTrue(result.complete(), result.failed().toString());
        assertEquals(keys.size(), result.deleted().size());
        assertEquals(List.of(), store().list(prefixes.get(0)));
        assertEquals(List.of(), store().list(prefixes.get(1)));
    }

    @Test
    void keysAreBuiltOnlyFromIdsAndIntegers() {
        UUID org = UUID.fromString("11111111-2222-3333-4444-555555555555");
        UUID rec = UUID.fromString("66666666-7777-8888-9999-000000000000");
        assertEquals("recordings/" + org + "/" + rec + "/chunk-7.cast", ObjectKey.chunk(org, rec, 7).value());
        assertEquals("session-recordings/" + org + "/" + rec + "/recording.json", ObjectKey.summary(org, rec).value());
        assertThrows(IllegalArgumentException.class, () -> ObjectKey.chunk(org, rec, -1));
    }

    @Test
    void rangesAndPagedListingsResume() throws Exception {
        UUID rec = UUID.randomUUID();
        byte[] data = "0123456789".getBytes(StandardCharsets.UTF_8);
        store().put(ObjectKey.cast(ORG, rec), data, sha256(data), "application/x-asciicast");
        try (InputStream in = store().get(ObjectKey.cast(ORG, rec), new ByteRange(2, 5))) {
            assertEquals("2345", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        for (int i = 0; i < 5; i++) {
            store().put(ObjectKey.chunk(ORG, rec, i), data, sha256(data), "application/x-asciicast");
        }
        ObjectKey.Prefix prefix = ObjectKey.recordingPrefixes(ORG, rec).get(0);
        List<ObjectKey> walked = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            ListingPage page = store().listPage(prefix, after, 2);
            page.objects().forEach(o -> walked.add(o.key()));
            page.objects().forEach(o -> assertEquals(data.length, o.length()));
            after = page.last();
            pages++;
        } while (after != null);
        assertEquals(store().list(prefix), walked);
        assertEquals(6, walked.size());
        assertTrue(pages >= 3);
        assertTrue(store().head(ObjectKey.cast(ORG, rec)).orElseThrow().lastModified()
                .isAfter(java.time.Instant.now().minusSeconds(600)));
    }

    @Test
    void listedKeysAreTakenApart() {
        UUID rec = UUID.randomUUID();
        assertEquals(new ObjectKey.Named(ORG, rec, ObjectKey.Kind.CHUNK, 12), ObjectKey.chunk(ORG, rec, 12).named().orElseThrow());
        assertEquals(ObjectKey.Kind.RECORDING_FILE, ObjectKey.cast(ORG, rec).named().orElseThrow().kind());
        assertEquals(ObjectKey.Kind.RECORDING_FILE, ObjectKey.summary(ORG, rec).named().orElseThrow().kind());
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
