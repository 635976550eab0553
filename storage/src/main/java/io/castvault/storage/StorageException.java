package io.castvault.storage;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;

/** An object-store failure in our own vocabulary: clients see 503 STORAGE_UNAVAILABLE (or 404 for a missing key). */
public final class StorageException extends CastvaultException {
    public enum Kind {
        /** Network trouble, throttling, 5xx: trying again later may work. */
        RETRYABLE,
        /** Misconfiguration or a refused request (credentials, bucket): trying again will not help. */
        PERMANENT,
        NOT_FOUND
    }

    private final Kind kind;

    public StorageException(Kind kind, String message, Throwable cause) {
        super(kind == Kind.NOT_FOUND ? ErrorCode.NOT_FOUND : ErrorCode.STORAGE_UNAVAILABLE, message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public boolean retryable() {
        return kind == Kind.RETRYABLE;
    }
}
