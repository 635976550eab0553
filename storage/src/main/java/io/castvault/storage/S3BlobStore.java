package io.castvault.storage;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.apache.ProxyConfiguration;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/** {@link BlobStore} on any S3-compatible server, path-style, through the AWS SDK v2. */
public final class S3BlobStore implements BlobStore, AutoCloseable {
    static final int DELETE_BATCH = 1000;
    /**
     * Files up to this size go up in one PUT carrying their SHA-256, which the store verifies over the whole object
     * and keeps as its checksum (a multipart object can have neither). Above it, in parts: about where AWS advises
     * multipart (100 MB), so that a failed attempt re-sends one part, not the file.
     */
    static final long MULTIPART_THRESHOLD = 128L * 1024 * 1024;
    /**
     * The slowest upload a one-PUT file is given time for, on top of the attempt and call timeouts: a 128 MiB
     * file gets 32 s more, where a request of a few KiB gets the plain timeouts that keep a stalled store short.
     */
    static final long SLOWEST_PUT_BYTES_PER_SECOND = 4L * 1024 * 1024;
    static final long PART_SIZE = 8L * 1024 * 1024;
    /** Parts in flight at once: each is a request with its own round trip, and the store writes them in parallel. */
    static final int PARALLEL_PARTS = 4;

    private final S3Client s3;
    private final ScheduledThreadPoolExecutor timeouts;
    private final S3Presigner presigner;
    private final String bucket;
    private final StoreRoot root;
    private final Duration attemptTimeout;
    private final Duration callTimeout;

    public S3BlobStore(S3Settings settings) {
        this.bucket = settings.bucket();
        this.root = settings.root();
        this.attemptTimeout = settings.attemptTimeout();
        this.callTimeout = settings.callTimeout();
        this.timeouts = timeoutTimers();
        this.presigner = S3Presigner.builder()
                .endpointOverride(settings.endpoint())
                .region(Region.of(settings.region()))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(settings.accessKey(), settings.secretKey())))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build())
                .build();
        this.s3 = S3Client.builder()
                .endpointOverride(settings.endpoint())
                .region(Region.of(settings.region()))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(settings.accessKey(), settings.secretKey())))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle())
                        // With aws-chunked encoding (the default once a checksum is sent) over plain HTTP every
                        // chunk is signed and the server decodes and verifies each: measured 2-3x the CPU per PUT
                        // (scripts/bench). Unchunked, the checksum travels as a header and is still verified.
                        .chunkedEncodingEnabled(false).build())
                // We send an explicit SHA-256 with every put; the SDK's own CRC would be computed for nothing.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(httpClient(settings))
                .putAuthScheme(ChecksumBoundSigner.scheme())
                // Without these a stalled store held each caller for 3 x 30 s; now a call gives up within
                // callTimeout whatever it is waiting for (connection, response, body).
                .overrideConfiguration(c -> c.retryStrategy(b -> b.maxAttempts(3))
                        .apiCallAttemptTimeout(settings.attemptTimeout())
                        .apiCallTimeout(settings.callTimeout())
                        .scheduledExecutorService(timeouts))
                .build();
    }

    /**
     * The timers of the two timeouts above. Every call arms both and cancels them when it ends; the SDK's own pool
     * leaves a cancelled timer queued until it would have fired, so at a thousand calls a second its thread woke
     * twice per call for nothing and used a tenth as much CPU as the requests themselves (per-thread CPU of the
     * service in an ingest run, bench/README.md). Cancelled timers leave this queue at once.
     */
    private static ScheduledThreadPoolExecutor timeoutTimers() {
        AtomicInteger n = new AtomicInteger();
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(2, r -> {
            Thread t = new Thread(r, "s3-timeouts-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        timers.setRemoveOnCancelPolicy(true);
        return timers;
    }

    /** Timeouts armed and not yet ended (S3BlobStoreWireTest). */
    int armedTimeouts() {
        return timeouts.getQueue().size();
    }

    private static ApacheHttpClient.Builder httpClient(S3Settings settings) {
        ApacheHttpClient.Builder http = ApacheHttpClient.builder()
                // Objects here are chunks of at most a few hundred KiB: waiting for "100 Continue" costs
                // every PUT a round trip to save resending a body that a refusal would rarely waste.
                .expectContinueEnabled(false)
                .maxConnections(128)
                .connectionTimeout(Duration.ofSeconds(2))
                .socketTimeout(settings.attemptTimeout());
        if (settings.addresses() != AddressPolicy.ANY) {
            // Every connection resolves the host through the check. Never through a proxy: the proxy would resolve
            // the endpoint itself, out of the check's sight.
            http.dnsResolver(new CheckedDnsResolver(settings.addresses()))
                    .proxyConfiguration(ProxyConfiguration.builder().useSystemPropertyValues(false)
                            .useEnvironmentVariableValues(false).build());
        }
        return http;
    }

    @Override
    public void ensureBucket() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (NoSuchBucketException e) {
            createBucket();
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw S3Errors.translate("head bucket", bucket, e);
            }
            createBucket();
        } catch (RuntimeException e) {
            throw S3Errors.translate("head bucket", bucket, e);
        }
    }

    private void createBucket() {
        try {
            s3.createBucket(b -> b.bucket(bucket));
        } catch (BucketAlreadyOwnedByYouException e) {
            // another instance created it first
        } catch (S3Exception e) {
            if (e.statusCode() != 409) {
                throw S3Errors.translate("create bucket", bucket, e);
            }
        } catch (RuntimeException e) {
            throw S3Errors.translate("create bucket", bucket, e);
        }
    }

    @Override
    public void put(ObjectKey key, byte[] content, byte[] sha256, String contentType, WriteCondition condition) {
        try {
            s3.putObject(b -> b.bucket(bucket).key(root.wire(key)).contentType(contentType)
                            .checksumSHA256(Base64.getEncoder().encodeToString(sha256))
                            .ifNoneMatch(ifNoneMatch(condition)).ifMatch(ifMatch(condition)),
                    // fromBytes would copy the array first; the caller hands it over and never changes it
                    RequestBody.fromContentProvider(ContentStreamProvider.fromByteArrayUnsafe(content),
                            content.length, contentType));
        } catch (RuntimeException e) {
            throw refusedPut("put", key, e);
        }
    }

    /**
     * A write answered "no such key" was one with {@code If-Match} on an object that is gone (S3 answers 404 there,
     * not 412): refused as any write whose expectation failed.
     */
    private static StorageException refusedPut(String operation, ObjectKey key, RuntimeException e) {
        boolean noSuchKey = e instanceof NoSuchKeyException || e instanceof S3Exception s3
                && s3.awsErrorDetails() != null && "NoSuchKey".equals(s3.awsErrorDetails().errorCode());
        if (noSuchKey) {
            return new StorageException(StorageException.Kind.PRECONDITION_FAILED,
                    operation + " " + key + ": the object the write expected is gone", e);
        }
        return S3Errors.translate(operation, key, e);
    }

    /** The {@code If-None-Match} header of a write under {@code condition}; null: none. */
    private static String ifNoneMatch(WriteCondition condition) {
        return condition instanceof WriteCondition.Absent ? "*" : null;
    }

    /** The {@code If-Match} header of a write under {@code condition}; null: none. */
    private static String ifMatch(WriteCondition condition) {
        return condition instanceof WriteCondition.Matching m ? m.etag() : null;
    }

    @Override
    public void put(ObjectKey key, Path file, byte[] sha256, String contentType, WriteCondition condition) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw S3Errors.translate("put", key, e);
        }
        if (size <= MULTIPART_THRESHOLD) {
            Duration sending = Duration.ofMillis(size * 1000 / SLOWEST_PUT_BYTES_PER_SECOND);
            try {
                s3.putObject(b -> b.bucket(bucket).key(root.wire(key)).contentType(contentType)
                                .checksumSHA256(Base64.getEncoder().encodeToString(sha256))
                                .ifNoneMatch(ifNoneMatch(condition)).ifMatch(ifMatch(condition))
                                .overrideConfiguration(c -> c.apiCallAttemptTimeout(attemptTimeout.plus(sending))
                                        .apiCallTimeout(callTimeout.plus(sending))),
                        RequestBody.fromFile(file));
            } catch (RuntimeException e) {
                throw refusedPut("put", key, e);
            }
            return;
        }
        putMultipart(key, file, size, sha256, contentType, condition);
    }

    /**
     * S3 has no whole-object SHA-256 for multipart uploads (only composite checksums of the parts), so the
     * object's SHA-256 travels as user metadata for auditors; the caller hashed exactly the file it hands over.
     * The condition is the completion's: the object lands there, or nothing does.
     */
    private void putMultipart(ObjectKey key, Path file, long size, byte[] sha256, String contentType,
                              WriteCondition condition) {
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(root.wire(key)).contentType(contentType)
                    .metadata(java.util.Map.of("sha256", io.castvault.core.Hashing.hex(sha256)))).uploadId();
        } catch (RuntimeException e) {
            throw S3Errors.translate("start multipart upload of", key, e);
        }
        int count = (int) ((size + PART_SIZE - 1) / PART_SIZE);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             ExecutorService uploads = Executors.newFixedThreadPool(Math.min(PARALLEL_PARTS, count),
                     Thread.ofVirtual().name("multipart-part-", 0).factory())) {
            List<Future<CompletedPart>> pending = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int number = i + 1;
                long from = i * PART_SIZE;
                long length = Math.min(PART_SIZE, size - from);
                pending.add(uploads.submit(() -> uploadPart(key, uploadId, number, channel, from, length)));
            }
            List<CompletedPart> parts = new ArrayList<>();
            try {
                for (Future<CompletedPart> part : pending) {
                    parts.add(part.get());
                }
            } catch (ExecutionException e) {
                uploads.shutdownNow(); // the other parts are wasted now; the executor's close waits for them
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IOException("a part failed", e.getCause());
            } catch (InterruptedException e) {
                uploads.shutdownNow();
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while uploading parts");
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(root.wire(key)).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())
                    .ifNoneMatch(ifNoneMatch(condition)).ifMatch(ifMatch(condition)));
        } catch (IOException | RuntimeException e) {
            abortQuietly(key, uploadId);
            throw e instanceof IOException io ? S3Errors.translate("multipart upload of", key, io)
                    : refusedPut("multipart upload of", key, (RuntimeException) e);
        }
    }

    private CompletedPart uploadPart(ObjectKey key, String uploadId, int number, FileChannel channel, long from,
                                     long length) {
        // re-readable from the file: unchunked signing reads the part once to hash it, then to send it
        String etag = s3.uploadPart(b -> b.bucket(bucket).key(root.wire(key)).uploadId(uploadId)
                        .partNumber(number).contentLength(length),
                RequestBody.fromContentProvider(() -> new FileRegionStream(channel, from, length), length,
                        "application/octet-stream")).eTag();
        return CompletedPart.builder().partNumber(number).eTag(etag).build();
    }

    /**
     * One part of the file, read with positional reads: the parts going up at the same time share the channel
     * without moving its position, and nothing here needs closing.
     */
    static final class FileRegionStream extends InputStream {
        private final FileChannel channel;
        private final long end;
        private long position;

        FileRegionStream(FileChannel channel, long from, long length) {
            this.channel = channel;
            this.position = from;
            this.end = from + length;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            if (position >= end) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int n = channel.read(java.nio.ByteBuffer.wrap(buf, off, (int) Math.min(len, end - position)), position);
            if (n < 0) {
                throw new java.io.EOFException("the file ended before its part did");
            }
            position += n;
            return n;
        }
    }

    private void abortQuietly(ObjectKey key, String uploadId) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(root.wire(key)).uploadId(uploadId));
        } catch (RuntimeException ignored) {
            // the bucket's lifecycle rule for incomplete uploads is the backstop
        }
    }

    @Override
    public InputStream get(ObjectKey key) {
        try {
            ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(root.wire(key)));
            return new AbortingInputStream(in);
        } catch (RuntimeException e) {
            throw S3Errors.translate("get", key, e);
        }
    }

    @Override
    public InputStream get(ObjectKey key, ByteRange range) {
        try {
            ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(root.wire(key))
                    .range("bytes=" + range.first() + "-" + range.last()));
            return new AbortingInputStream(in);
        } catch (RuntimeException e) {
            throw S3Errors.translate("get", key, e);
        }
    }

    @Override
    public Optional<BlobInfo> head(ObjectKey key) {
        try {
            HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key(root.wire(key)));
            return Optional.of(new BlobInfo(head.contentLength(), head.lastModified(), head.eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw S3Errors.translate("head", key, e);
        } catch (RuntimeException e) {
            throw S3Errors.translate("head", key, e);
        }
    }

    @Override
    public List<ObjectKey> list(ObjectKey.Prefix prefix) {
        List<ObjectKey> keys = new ArrayList<>();
        try {
            ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(bucket).prefix(root.wire(prefix));
            String token = null;
            do {
                ListObjectsV2Response page = s3.listObjectsV2(request.continuationToken(token).build());
                for (S3Object o : page.contents()) {
                    keys.add(ObjectKey.listed(prefix, root.unwire(o.key())));
                }
                token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
            } while (token != null);
        } catch (RuntimeException e) {
            throw S3Errors.translate("list", prefix, e);
        }
        return keys;
    }

    @Override
    public ListingPage listPage(ObjectKey.Prefix prefix, String startAfter, int max) {
        try {
            ListObjectsV2Response page = s3.listObjectsV2(b -> {
                b.bucket(bucket).prefix(root.wire(prefix)).maxKeys(Math.min(1000, Math.max(1, max)));
                if (startAfter != null) {
                    b.startAfter(root.value() + startAfter);
                }
            });
            List<ListedObject> objects = new ArrayList<>();
            for (S3Object o : page.contents()) {
                objects.add(new ListedObject(ObjectKey.listed(prefix, root.unwire(o.key())), o.size(), o.lastModified()));
            }
            boolean more = Boolean.TRUE.equals(page.isTruncated()) && !objects.isEmpty();
            return new ListingPage(List.copyOf(objects), more ? objects.get(objects.size() - 1).key().value() : null);
        } catch (RuntimeException e) {
            throw S3Errors.translate("list", prefix, e);
        }
    }

    @Override
    public java.net.URI presignGet(ObjectKey key, Duration ttl) {
        try {
            return presigner.presignGetObject(b -> b.signatureDuration(ttl)
                    .getObjectRequest(g -> g.bucket(bucket).key(root.wire(key)))).url().toURI();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            throw new StorageException(StorageException.Kind.REFUSED, "presigning " + key + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public DeleteResult delete(Collection<ObjectKey> keys) {
        List<ObjectKey> all = List.copyOf(keys);
        List<ObjectKey> deleted = new ArrayList<>();
        Map<ObjectKey, String> failed = new LinkedHashMap<>();
        for (int from = 0; from < all.size(); from += DELETE_BATCH) {
            List<ObjectKey> batch = all.subList(from, Math.min(all.size(), from + DELETE_BATCH));
            Map<String, ObjectKey> byValue = new LinkedHashMap<>();
            batch.forEach(k -> byValue.put(root.wire(k), k));
            try {
                DeleteObjectsResponse response = s3.deleteObjects(b -> b.bucket(bucket).delete(Delete.builder()
                        .quiet(false)
                        .objects(batch.stream().map(k -> ObjectIdentifier.builder().key(root.wire(k)).build()).toList())
                        .build()));
                response.errors().forEach(err -> {
                    ObjectKey k = byValue.remove(err.key());
                    if (k != null) {
                        failed.put(k, err.code() + ": " + err.message());
                    }
                });
                // Keys reported neither as deleted nor as failed count as deleted: S3 reports a missing key as
                // deleted, and some servers omit entries in quiet mode.
                deleted.addAll(byValue.values());
            } catch (RuntimeException e) {
                StorageException translated = S3Errors.translate("delete batch of " + batch.size() + " keys", "", e);
                batch.forEach(k -> failed.put(k, translated.getMessage()));
            }
        }
        return new DeleteResult(List.copyOf(deleted), Map.copyOf(failed));
    }

    @Override
    public void ping() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (RuntimeException e) {
            throw S3Errors.translate("head bucket", bucket, e);
        }
    }

    @Override
    public void close() {
        presigner.close();
        s3.close();
        // the SDK does not shut down a pool it was given
        timeouts.shutdownNow();
    }

    /** Closing before the end aborts the connection, so an early close does not download the rest. */
    private static final class AbortingInputStream extends InputStream {
        private final ResponseInputStream<GetObjectResponse> in;
        private boolean eof;

        AbortingInputStream(ResponseInputStream<GetObjectResponse> in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            eof |= b < 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            eof |= n < 0;
            return n;
        }

        @Override
        public void close() throws IOException {
            if (!eof) {
                in.abort();
            }
            in.close();
        }
    }
}
