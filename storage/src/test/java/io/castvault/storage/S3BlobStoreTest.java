package io.castvault.storage;

import io.castvault.testing.TestS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Puts through the real S3 server: checksums verified by the server, multipart files read back intact. */
class S3BlobStoreTest {
    private static S3BlobStore store;

    @BeforeAll
    static void setUp() {
        TestS3 s3 = TestS3.instance();
        store = new S3BlobStore(new S3Settings(s3.endpoint(), "us-east-1", TestS3.freshBucketName(), s3.accessKey(), s3.secretKey()));
        store.ensureBucket();
    }

    @AfterAll
    static void tearDown() {
        store.close();
    }

    @Test
    void putWithItsChecksumIsStoredAndAWrongChecksumIsRefused() throws Exception {
        byte[] content = random(70_000);
        ObjectKey key = ObjectKey.chunk(UUID.randomUUID(), UUID.randomUUID(), 0);
        store.put(key, content, sha256(content), "application/x-asciicast");
        assertArrayEquals(content, read(key));

        ObjectKey other = ObjectKey.chunk(UUID.randomUUID(), UUID.randomUUID(), 1);
        assertThrows(StorageException.class, () -> store.put(other, content, new byte[32], "application/x-asciicast"));
    }

    @Test
    void fileAboveTheMultipartThresholdGoesUpInPartsAndReadsBackIntact() throws Exception {
        byte[] content = random((int) S3BlobStore.MULTIPART_THRESHOLD + 3 * 1024 * 1024 + 17);
        Path file = Files.createTempFile("castvault-multipart", ".cast");
        try {
            Files.write(file, content);
            ObjectKey key = ObjectKey.chunk(UUID.randomUUID(), UUID.randomUUID(), 0);
            store.put(key, file, sha256(content), "application/x-asciicast");
            assertArrayEquals(sha256(content), sha256(read(key)));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static byte[] read(ObjectKey key) throws Exception {
        try (InputStream in = store.get(key)) {
            return in.readAllBytes();
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
