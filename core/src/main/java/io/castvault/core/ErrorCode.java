package io.castvault.core;

/**
 * The one error vocabulary of the service: every layer (database, object store, use cases, HTTP) reports
 * failures with these codes, and the HTTP layer turns them into the contract's envelope unchanged.
 */
public enum ErrorCode {
    MISSING_FIELDS(400),
    INVALID_INPUT(400),
    UNAUTHORIZED(401),
    FORBIDDEN(403),
    FEATURE_DISABLED(403),
    RECORDING_DISABLED(403),
    NOT_FOUND(404),
    CONFLICT(409),
    /** delete of a recording under legal hold (its own or the org's) */
    LEGAL_HOLD(409),
    PAYLOAD_TOO_LARGE(413),
    RATE_LIMITED(429),
    STORAGE_UNAVAILABLE(503),
    DATABASE_UNAVAILABLE(503),
    /** This instance cannot write its local spool file (disk full, directory gone): retryable, not the store. */
    SPOOL_UNAVAILABLE(503),
    INTERNAL_ERROR(500);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
