package io.castvault.api.http;

import io.micronaut.http.exceptions.ContentLengthExceededException;

/**
 * A body cut off at a route's own limit ({@link LimitedBody}) or at {@code micronaut.server.max-request-size}
 * (the framework's): a 413, not bad input, wherever the reader wrapped the failure.
 */
final class ContentLimit {
    private ContentLimit() {
    }

    static boolean exceeded(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ContentLengthExceededException || t instanceof LimitedBody.TooLarge) {
                return true;
            }
        }
        return false;
    }
}
