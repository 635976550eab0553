package io.castvault.storage;

import io.castvault.testing.TestS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@link BlobStore} port against the real S3 server (S3Proxy here, MinIO where Docker runs). */
class BlobStoreContractTest {
    static S3BlobStore store;
    static final UUID ORG = UUID.randomUUID();

    @BeforeAll
    static void setUp() {
        TestS3 s3 = TestS3.instance();
        store = new S3BlobStore(new S3Settings(s3.endpoint(), "us-east-1", TestS3.freshBucketName(), s3.accessKey(), s3.secretKey()));
        store.ensureBucket();
        store.ensureBucket(); // idempotent
    }

    @AfterAll
    static void tearDown() {
        store.close();
    }

    @Test
    void putGetHeadRoundTrip() throws Exception {
        UUID rec = UUID.randomUUID();
        ObjectKey key = ObjectKey.chunk(ORG, rec, 0);
        byte[] data = "[0, \"o\", \"hi\"]\n".getBytes(StandardCharsets.UTF_8);
        store.put(key, data, sha256(data), "application/x-asciicast");
        try (InputStream in = store.get(key)) {
            assertArrayEquals(data, in.readAllBytes());
        }
        assertEquals(data.length, store.head(key).orElseThrow().length());
        assertTrue(store.head(ObjectKey.chunk(ORG, rec, 1)).isEmpty());
    }

    @Test
    void aWrongChecksumIsRefusedAndNothingIsStored() {
        ObjectKey key = ObjectKey.chunk(ORG, UUID.randomUUID(), 0);
        byte[] data = "payload".getBytes(StandardCharsets.UTF_8);
        StorageException e = assertThrows(StorageException.class,
                () -> store.put(key, data, sha256("other".getBytes(StandardCharsets.UTF_8)), "text/plain"));
        assertFalse(e.retryable());
        assertTrue(store.head(key).isEmpty());
    }

    @Test
    void aMissingObjectIsNotFound() {
        StorageException e = assertThrows(StorageException.class, () -> store.get(ObjectKey.summary(ORG, UUID.randomUUID())));
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
            store.put(k, data, sha, "application/x-asciicast");
            keys.add(k);
        }
        store.put(ObjectKey.summary(ORG, rec), data, sha, "application/json");
        List<ObjectKey.Prefix> prefixes = ObjectKey.recordingPrefixes(ORG, rec);
        assertEquals(1203, store.list(prefixes.get(0)).size());
        assertEquals(List.of(ObjectKey.summary(ORG, rec)), store.list(prefixes.get(1)));

        keys.add(ObjectKey.summary(ORG, rec));
        keys.add(ObjectKey.chunk(ORG, rec, 99_999)); // never existed: S3 reports it deleted too
        DeleteResult result = store.delete(keys);
        assertTrue(result.complete(), result.failed().toString());
        assertEquals(keys.size(), result.deleted().size());
        assertEquals(List.of(), store.list(prefixes.get(0)));
        assertEquals(List.of(), store.list(prefixes.get(1)));
    }

    @Test
    void largeFilesGoUpInPartsAndComeBackIdentical() throws Exception {
        Path file = Files.createTempFile("castvault-multipart", ".cast");
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        Random random = new Random(42);
        byte[] block = new byte[1024 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < 20; i++) { // 20 MiB: above the multipart threshold
                random.nextBytes(block);
                out.write(block);
                md.update(block);
            }
        }
        byte[] sha = md.digest();
        ObjectKey key = ObjectKey.chunk(ORG, UUID.randomUUID(), 0);
        store.put(key, file, sha, "application/x-asciicast");
        assertEquals(Files.size(file), store.head(key).orElseThrow().length());
        MessageDigest back = MessageDigest.getInstance("SHA-256");
        try (InputStream in = store.get(key)) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) >= 0) {
                back.update(buf, 0, n);
            }
        }
        assertArrayEquals(sha, back.digest());
        Files.delete(file);
    }

    @Test
    void anUnreachableServerIsARetryableFailure() {
        try (S3BlobStore down = new S3BlobStore(new S3Settings(URI.create("http://127.0.0.1:1"), "us-east-1", "castvault", "a", "b"))) {
            StorageException e = assertThrows(StorageException.class, down::ping);
            assertTrue(e.retryable());
            assertEquals(io.castvault.core.ErrorCode.STORAGE_UNAVAILABLE, e.code());
        }
    }

    @Test
    void keysAreBuiltOnlyFromIdsAndIntegers() {
        UUID org = UUID.fromString("11111111-2222-3333-4444-555555555555");
        UUID rec = UUID.fromString("66666666-7777-8888-9999-000000000000");
        assertEquals("recordings/" + org + "/" + rec + "/chunk-7.cast", ObjectKey.chunk(org, rec, 7).value());
        assertEquals("session-recordings/" + org + "/" + rec + "/recording.json", ObjectKey.summary(org, rec).value());
        assertThrows(IllegalArgumentException.class, () -> ObjectKey.chunk(org, rec, -1));
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
