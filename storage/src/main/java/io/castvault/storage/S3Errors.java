package io.castvault.storage;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.UncheckedIOException;

/** The one place where AWS SDK failures become {@link StorageException}s. */
final class S3Errors {
    private S3Errors() {
    }

    static StorageException translate(String operation, Object target, RuntimeException e) {
        String what = operation + " " + target;
        if (e instanceof NoSuchKeyException) {
            return new StorageException(StorageException.Kind.NOT_FOUND, what + ": no such object", e);
        }
        if (e instanceof NoSuchBucketException) {
            return new StorageException(StorageException.Kind.REFUSED, what + ": bucket does not exist", e);
        }
        if (e instanceof S3Exception s3) {
            int status = s3.statusCode();
            if (status == 404) {
                return new StorageException(StorageException.Kind.NOT_FOUND, what + ": not found", e);
            }
            String code = s3.awsErrorDetails() == null ? "" : s3.awsErrorDetails().errorCode();
            if (status == 412) {
                return new StorageException(StorageException.Kind.PRECONDITION_FAILED,
                        what + ": the object is not the one the write expected", e);
            }
            // 409 ConditionalRequestConflict: a conditional write raced another write of the key; try again
            boolean retryable = status >= 500 || status == 429 || status == 408 || s3.isThrottlingException()
                    || "ConditionalRequestConflict".equals(code);
            StorageException.Kind kind = retryable ? StorageException.Kind.UNAVAILABLE
                    : "BadDigest".equals(code) || "InvalidDigest".equals(code) || "XAmzContentSHA256Mismatch".equals(code)
                    ? StorageException.Kind.CHECKSUM_MISMATCH : StorageException.Kind.REFUSED;
            return new StorageException(kind, what + " failed: HTTP " + status + " " + code, e);
        }
        Throwable refused = refusedAddress(e);
        if (refused != null) {
            // not an outage: retrying will not help while the host resolves there
            return new StorageException(StorageException.Kind.REFUSED, what + " refused: " + refused.getMessage(), e);
        }
        if (e instanceof SdkClientException || e instanceof UncheckedIOException) {
            return new StorageException(StorageException.Kind.UNAVAILABLE, what + " failed: object store unreachable", e);
        }
        if (e instanceof SdkException sdk && sdk.retryable()) {
            return new StorageException(StorageException.Kind.UNAVAILABLE, what + " failed", e);
        }
        return new StorageException(StorageException.Kind.REFUSED, what + " failed: " + e.getMessage(), e);
    }

    private static Throwable refusedAddress(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CheckedDnsResolver.RefusedAddressException) {
                return t;
            }
        }
        return null;
    }

    static StorageException translate(String operation, Object target, IOException e) {
        return new StorageException(StorageException.Kind.UNAVAILABLE, operation + " " + target + " failed: " + e.getMessage(), e);
    }
}
