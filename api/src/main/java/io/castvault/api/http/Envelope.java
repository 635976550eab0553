package io.castvault.api.http;

import io.castvault.agentingest.RateLimitedException;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response envelope of CONTRACT.md §3: {@code {success, data, error}}. Every error answer in the envelope is
 * made here, headers included, so a handler, a controller and the framework's own errors cannot answer the same
 * failure differently.
 */
public record Envelope(boolean success, Object data, Problem error) {
    private static final Logger LOG = LoggerFactory.getLogger(Envelope.class);

    /** Seconds a client should wait before retrying after a 503: outages this service rides out are short. */
    static final String RETRY_AFTER_SECONDS = "2";

    public record Problem(String code, String message) {
    }

    public static MutableHttpResponse<Envelope> ok(Object data) {
        return HttpResponse.ok(new Envelope(true, data, null));
    }

    public static MutableHttpResponse<Envelope> created(Object data) {
        return HttpResponse.<Envelope>status(HttpStatus.CREATED).body(new Envelope(true, data, null));
    }

    /** A failure of ours, with its code's status; a server-side one (5xx) is logged here. */
    public static MutableHttpResponse<Envelope> error(HttpRequest<?> request, CastvaultException e) {
        if (e.code().httpStatus() >= 500) {
            LOG.warn("{} {}: {} {}", request.getMethod(), request.getPath(), e.code(), e.getMessage(),
                    e.getCause() != null ? e.getCause() : null);
        }
        return fill(HttpResponse.status(HttpStatus.valueOf(e.code().httpStatus())), e.code(), e.getMessage(),
                retryAfter(e));
    }

    /**
     * An error the framework answered itself (unknown route, wrong method, body too large, uncaught exception):
     * its status and headers (Allow on a 405) stay; the caller has logged what needs logging.
     */
    static MutableHttpResponse<Envelope> frameworkError(MutableHttpResponse<?> response, ErrorCode code, String message) {
        if (response.code() == 413) {
            // the unread rest of the body stays on the connection, and a client reusing it would hang
            response.header(HttpHeaders.CONNECTION, "close");
        }
        return fill(response, code, message, response.code() == 503 ? RETRY_AFTER_SECONDS : null);
    }

    /** Seconds to wait before a retry, or null when retrying later would not help. */
    static String retryAfter(CastvaultException e) {
        if (e instanceof RateLimitedException limited) {
            return Long.toString(limited.retryAfterSeconds());
        }
        // every 503 here is an infrastructure failure that a retry can get past
        return e.code().httpStatus() == 503 ? RETRY_AFTER_SECONDS : null;
    }

    private static MutableHttpResponse<Envelope> fill(MutableHttpResponse<?> response, ErrorCode code, String message,
                                                      String retryAfter) {
        if (retryAfter != null) {
            response.header(HttpHeaders.RETRY_AFTER, retryAfter);
        }
        return response.contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(new Envelope(false, null, new Problem(code.name(), message)));
    }
}
