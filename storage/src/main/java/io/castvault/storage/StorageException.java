package io.castvault.storage;

/**
 * An object-store failure in the store's own terms. What it means to a client (a 503, a lost object the database
 * vouches for, ...) is for the use case to decide, not for this module.
 */
public final class StorageException extends RuntimeException {
    public enum Kind {
        /** Network trouble, a timeout, throttling, 5xx: trying again later may work. */
        UNAVAILABLE,
        /** No such object. */
        NOT_FOUND,
        /** The store refused the content because it does not match the checksum sent with it. */
        CHECKSUM_MISMATCH,
        /** A conditional write found another object than it expected (see {@link WriteCondition}); nothing changed. */
        PRECONDITION_FAILED,
        /** Misconfiguration or a refused request (credentials, bucket, a bad request): trying again will not help. */
        REFUSED
    }

    private final Kind kind;

    public StorageException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public boolean retryable() {
        return kind == Kind.UNAVAILABLE;
    }
}
