package io.castvault.agentingest;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;

/** {@code RATE_LIMITED}, with the wait the client should observe (the HTTP layer sends it as Retry-After). */
public final class RateLimitedException extends CastvaultException {
    private final long retryAfterSeconds;

    public RateLimitedException(long retryAfterSeconds) {
        super(ErrorCode.RATE_LIMITED, "too many failed authentications from this address; retry after "
                + retryAfterSeconds + " s");
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
