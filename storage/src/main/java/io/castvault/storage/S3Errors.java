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
            return new StorageException(StorageException.Kind.PERMANENT, what + ": bucket does not exist", e);
        }
        if (e instanceof S3Exception s3) {
            int status = s3.statusCode();
            if (status == 404) {
                return new StorageException(StorageException.Kind.NOT_FOUND, what + ": not found", e);
            }
            boolean retryable = status >= 500 || status == 429 || status == 408 || s3.isThrottlingException();
            String code = s3.awsErrorDetails() == null ? "" : " " + s3.awsErrorDetails().errorCode();
            return new StorageException(retryable ? StorageException.Kind.RETRYABLE : StorageException.Kind.PERMANENT,
                    what + " failed: HTTP " + status + code, e);
        }
        if (e instanceof SdkClientException || e instanceof UncheckedIOException) {
            return new StorageException(StorageException.Kind.RETRYABLE, what + " failed: object store unreachable", e);
        }
        if (e instanceof SdkException sdk && sdk.retryable()) {
            return new StorageException(StorageException.Kind.RETRYABLE, what + " failed", e);
        }
        return new StorageException(StorageException.Kind.PERMANENT, what + " failed: " + e.getMessage(), e);
    }

    static StorageException translate(String operation, Object target, IOException e) {
        return new StorageException(StorageException.Kind.RETRYABLE, operation + " " + target + " failed: " + e.getMessage(), e);
    }
}
