package io.castvault.api.http;

import io.micronaut.http.exceptions.ContentLengthExceededException;

/** The framework cuts a body off at {@code micronaut.server.max-request-size}; that is a 413, not bad input. */
final class ContentLimit {
    private ContentLimit() {
    }

    static boolean exceeded(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ContentLengthExceededException) {
                return true;
            }
        }
        return false;
    }
}
