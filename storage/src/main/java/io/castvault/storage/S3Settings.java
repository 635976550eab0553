package io.castvault.storage;

import java.net.URI;
import java.time.Duration;

/**
 * Where the bucket lives, and how long one call may take. The endpoint is any S3-compatible server (AWS S3, R2,
 * MinIO, S3Proxy). {@code attemptTimeout} bounds one HTTP attempt, {@code callTimeout} the whole call with its
 * retries: a stalled store answers a write with 503 within {@code callTimeout}, not after minutes. {@code addresses}
 * is checked each time the client connects.
 */
public record S3Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey,
                         Duration attemptTimeout, Duration callTimeout, boolean pathStyle, StoreRoot root,
                         AddressPolicy addresses) {
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(12);

    public S3Settings {
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("S3 bucket name is not valid: " + bucket);
        }
        if (endpoint == null || endpoint.getHost() == null) {
            throw new IllegalArgumentException("S3 endpoint must be an absolute URL");
        }
        if (attemptTimeout == null || attemptTimeout.isNegative() || attemptTimeout.isZero()
                || callTimeout == null || callTimeout.compareTo(attemptTimeout) < 0) {
            throw new IllegalArgumentException("S3 timeouts must be positive, the call timeout at least the attempt timeout");
        }
        if (root == null) {
            throw new IllegalArgumentException("S3 store root must be given (StoreRoot.NONE for the bucket's top)");
        }
        if (addresses == null) {
            throw new IllegalArgumentException("S3 address policy must be given");
        }
    }

    /** The platform store: path-style, at the top of its bucket, at whatever address the operator gave. */
    public S3Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey,
                      Duration attemptTimeout, Duration callTimeout) {
        this(endpoint, region, bucket, accessKey, secretKey, attemptTimeout, callTimeout, true, StoreRoot.NONE,
                AddressPolicy.ANY);
    }

    public S3Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey) {
        this(endpoint, region, bucket, accessKey, secretKey, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CALL_TIMEOUT);
    }

    /** Never prints the keys: settings end up in logs and exception messages. */
    @Override
    public String toString() {
        return "S3Settings[" + endpoint + ", " + region + ", " + bucket + ", root=" + root.value() + "]";
    }
}
