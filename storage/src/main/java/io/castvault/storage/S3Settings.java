package io.castvault.storage;

import java.net.URI;

/** Where the bucket lives. The endpoint is any S3-compatible server (AWS S3, R2, MinIO, S3Proxy). */
public record S3Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey) {
    public S3Settings {
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("S3 bucket name is not valid: " + bucket);
        }
        if (endpoint == null || endpoint.getHost() == null) {
            throw new IllegalArgumentException("S3 endpoint must be an absolute URL");
        }
    }
}
