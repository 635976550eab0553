package io.castvault.storage;

import io.castvault.testing.TestS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Puts through the real S3 server: checksums verified by the server, multipart files read back intact. */
class S3BlobStoreTest {
    private static S3BlobStore store;
    private static String bucket;

    @BeforeAll
    static void setUp() {
        TestS3 s3 = TestS3.instance();
        bucket = TestS3.freshBucketName();
        store = new S3BlobStore(new S3Settings(s3.endpoint(), "us-east-1", bucket, s3.accessKey(), s3.secretKey()));
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

    /** Parts going up together share one channel: each reads its own region, and a file cut short fails its part. */
    @Test
    void aPartReadsExactlyItsRegionOfTheFile() throws Exception {
        byte[] content = random(1000);
        Path file = Files.createTempFile("castvault-region", ".cast");
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
            Files.write(file, content);
            InputStream first = new S3BlobStore.FileRegionStream(channel, 100, 300);
            InputStream second = new S3BlobStore.FileRegionStream(channel, 400, 600);
            byte[] a = new byte[300];
            byte[] b = new byte[600];
            // interleaved, as concurrent parts read
            assertEquals(7, first.read(a, 0, 7));
            assertEquals(600, second.readNBytes(b, 0, 600));
            assertEquals(293, first.readNBytes(a, 7, 293));
            assertEquals(-1, first.read(new byte[1], 0, 1));
            assertEquals(-1, second.read());
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 100, 400), a);
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 400, 1000), b);
            // read again from the start (the signer hashes a part, then it is sent)
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 100, 400),
                    new S3BlobStore.FileRegionStream(channel, 100, 300).readAllBytes());
            assertThrows(java.io.EOFException.class,
                    () -> new S3BlobStore.FileRegionStream(channel, 900, 200).readAllBytes());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * A file up to the threshold, however much larger than a chunk, goes up in one PUT whose SHA-256 the store
     * checks over the whole body: sent with a hash that is not the file's, nothing is kept.
     */
    @Test
    void aFileUpToTheThresholdGoesUpWholeWithItsChecksumVerified() throws Exception {
        byte[] content = random((int) (S3BlobStore.PART_SIZE * (S3BlobStore.PARALLEL_PARTS + 1)) + 17);
        assertTrue(content.length < S3BlobStore.MULTIPART_THRESHOLD);
        Path file = Files.createTempFile("castvault-whole", ".cast");
        try {
            Files.write(file, content);
            ObjectKey key = ObjectKey.cast(UUID.randomUUID(), UUID.randomUUID());
            byte[] wrong = sha256(java.util.Arrays.copyOf(content, content.length - 1));
            StorageException e = assertThrows(StorageException.class,
                    () -> store.put(key, file, wrong, "application/x-asciicast"));
            assertEquals(StorageException.Kind.CHECKSUM_MISMATCH, e.kind(), e.getMessage());
            assertTrue(store.head(key).isEmpty());
            store.put(key, file, sha256(content), "application/x-asciicast");
            assertArrayEquals(sha256(content), sha256(read(key)));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void fileAboveTheMultipartThresholdGoesUpInPartsAndReadsBackIntact() throws Exception {
        // more parts than go up at once, the last one short
        byte[] content = random((int) (S3BlobStore.MULTIPART_THRESHOLD + S3BlobStore.PART_SIZE) + 17);
        assertTrue(content.length > S3BlobStore.MULTIPART_THRESHOLD);
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

    /**
     * DNS rebinding: the endpoint's host was checked when the store was saved, and now resolves to loopback (here
     * {@code localhost}, a name that always does). The client refuses before it opens a connection; the same server
     * under the platform's policy is reached.
     */
    @Test
    void aStoreLimitedToPublicAddressesRefusesAHostThatResolvesToLoopbackAtConnectionTime() throws Exception {
        TestS3 s3 = TestS3.instance();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(300);
            URI rebound = URI.create("http://localhost:" + listener.getLocalPort());
            try (S3BlobStore guarded = new S3BlobStore(settings(rebound, s3, AddressPolicy.PUBLIC_ONLY))) {
                ObjectKey key = ObjectKey.chunk(UUID.randomUUID(), UUID.randomUUID(), 0);
                byte[] body = {1, 2, 3};
                StorageException e = assertThrows(StorageException.class, () -> guarded.put(key, body, sha256(body), "text/plain"));
                assertEquals(StorageException.Kind.REFUSED, e.kind(), e.getMessage());
                assertTrue(e.getMessage().contains("private address"), e.getMessage());
                assertThrows(StorageException.class, guarded::ping);
            }
            assertThrows(SocketTimeoutException.class, () -> listener.accept().close(), "no connection was opened");
        }
        URI sameServer = URI.create("http://localhost:" + s3.endpoint().getPort());
        try (S3BlobStore platform = new S3BlobStore(settings(sameServer, s3, AddressPolicy.ANY))) {
            platform.ping();
        }
    }

    private static S3Settings settings(URI endpoint, TestS3 s3, AddressPolicy policy) {
        return new S3Settings(endpoint, "us-east-1", bucket, s3.accessKey(), s3.secretKey(),
                S3Settings.DEFAULT_ATTEMPT_TIMEOUT, S3Settings.DEFAULT_CALL_TIMEOUT, true, StoreRoot.NONE, policy);
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
