package io.castvault.storage;

import io.castvault.testing.TestS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The port's contract on the real S3 server, and what only a network store does (parts, timeouts, presigning). */
class S3BlobStoreContractTest extends BlobStoreContractTest {
    static S3BlobStore store;

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

    @Override
    BlobStore store() {
        return store;
    }

    @Test
    void largeFilesGoUpInPartsAndComeBackIdentical() throws Exception {
        Path file = Files.createTempFile("castvault-multipart", ".cast");
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        Random random = new Random(42);
        byte[] block = new byte[1024 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < 129; i++) { // 129 MiB: above the multipart threshold
                random.nextBytes(block);
                out.write(block);
                md.update(block);
            }
        }
        byte[] sha = md.digest();
        assertTrue(Files.size(file) > S3BlobStore.MULTIPART_THRESHOLD);
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
        // the completion carries the write's condition: refused over another object than the writer saw, landing
        // over the version it saw
        StorageException refused = assertThrows(StorageException.class,
                () -> store.put(key, file, sha, "application/x-asciicast", new WriteCondition.Absent()));
        assertEquals(StorageException.Kind.PRECONDITION_FAILED, refused.kind(), refused.getMessage());
        store.put(key, file, sha, "application/x-asciicast", WriteCondition.replacing(store.head(key)));
        assertEquals(Files.size(file), store.head(key).orElseThrow().length());
        Files.delete(file);
    }

    @Test
    void anUnreachableServerIsARetryableFailure() {
        try (S3BlobStore down = new S3BlobStore(new S3Settings(URI.create("http://127.0.0.1:1"), "us-east-1", "castvault", "a", "b"))) {
            StorageException e = assertThrows(StorageException.class, down::ping);
            assertTrue(e.retryable());
            assertEquals(StorageException.Kind.UNAVAILABLE, e.kind());
        }
    }

    @Test
    void aStalledServerIsARetryableFailureWithinTheCallTimeout() throws Exception {
        // a server that accepts connections and never answers
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             S3BlobStore stalled = new S3BlobStore(new S3Settings(URI.create("http://127.0.0.1:" + silent.getLocalPort()),
                     "us-east-1", "castvault", "a", "b", Duration.ofMillis(500), Duration.ofSeconds(2)))) {
            long t0 = System.nanoTime();
            StorageException e = assertThrows(StorageException.class, () -> stalled.put(
                    ObjectKey.chunk(ORG, UUID.randomUUID(), 0), new byte[] {1}, sha256(new byte[] {1}), "text/plain"));
            assertTrue(e.retryable(), e.getMessage());
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(4).toNanos(), "gave up within the call timeout");
        }
    }

    @Test
    void aPresignedUrlFetchesTheObjectWithoutCredentials() throws Exception {
        ObjectKey key = ObjectKey.cast(ORG, UUID.randomUUID());
        byte[] data = "presigned".getBytes();
        store.put(key, data, sha256(data), "application/x-asciicast");
        URI url = store.presignGet(key, Duration.ofMinutes(5));
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(url).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertArrayEquals(data, response.body());
    }
}
