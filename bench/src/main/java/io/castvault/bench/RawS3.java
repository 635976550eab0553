package io.castvault.bench;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** The raw limit: the AWS SDK straight against the service's own S3 server and bucket, configured as the service is. */
final class RawS3 implements AutoCloseable {
    static final int DELETE_BATCH = 1000;

    private final S3Client s3;
    private final String bucket;

    RawS3(BenchConfig cfg) {
        this.bucket = cfg.s3Bucket();
        this.s3 = S3Client.builder()
                .endpointOverride(cfg.s3Endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(cfg.s3AccessKey(), cfg.s3SecretKey())))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(128).socketTimeout(Duration.ofSeconds(60)))
                .build();
    }

    void put(String key, byte[] bytes) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentLength((long) bytes.length), RequestBody.fromBytes(bytes));
    }

    /** The whole object, in memory. */
    byte[] getBytes(String key) throws IOException {
        try (InputStream in = s3.getObject(b -> b.bucket(bucket).key(key))) {
            return in.readAllBytes();
        }
    }

    /** Reads the object to the end; returns its length. */
    long get(String key) throws IOException {
        byte[] buf = new byte[64 << 10];
        long total = 0;
        try (InputStream in = s3.getObject(b -> b.bucket(bucket).key(key))) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
            }
        }
        return total;
    }

    /** DeleteObjects in batches of 1,000, one batch after another (as the service's sweep does). */
    /** DeleteObjects of {@code keys}, 1,000 per request, {@code streams} requests at a time. */
    void delete(List<String> keys, int streams) throws Exception {
        List<List<String>> batches = new ArrayList<>();
        for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
            batches.add(keys.subList(from, Math.min(keys.size(), from + DELETE_BATCH)));
        }
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> running = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(streams)) {
            for (int i = 0; i < streams; i++) {
                running.add(pool.submit(() -> {
                    for (int b = next.getAndIncrement(); b < batches.size(); b = next.getAndIncrement()) {
                        deleteBatch(batches.get(b));
                    }
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        }
    }

    private void deleteBatch(List<String> keys) {
        List<ObjectIdentifier> batch = keys.stream().map(k -> ObjectIdentifier.builder().key(k).build()).toList();
        DeleteObjectsResponse r = s3.deleteObjects(b -> b.bucket(bucket).delete(Delete.builder().quiet(false).objects(batch).build()));
        if (!r.errors().isEmpty()) {
            throw new IllegalStateException("raw DeleteObjects failed for " + r.errors().size() + " keys: " + r.errors().get(0));
        }
    }

    long count(String prefix) {
        long n = 0;
        for (S3Object ignored : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            n++;
        }
        return n;
    }

    @Override
    public void close() {
        s3.close();
    }
}
