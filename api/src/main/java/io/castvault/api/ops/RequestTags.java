package io.castvault.api.ops;

import io.micronaut.http.HttpRequest;
import org.slf4j.MDC;

import java.util.UUID;

/**
 * What a controller learns about a request only after reading its body (the action, the org, the bytes it
 * brought), handed to {@link RequestObservation} as request attributes and to the log lines as MDC keys. Static,
 * so each hook in a controller stays one line.
 */
public final class RequestTags {
    static final String ACTION = "castvault.action";
    static final String BYTES = "castvault.bytes";
    static final String REQUEST_ID = "castvault.request-id";
    static final String UPLOAD = "castvault.upload";

    private RequestTags() {
    }

    /** Called once the action is known to be one of the route's actions (never an arbitrary client string). */
    public static void action(HttpRequest<?> request, String action) {
        request.setAttribute(ACTION, action);
        MDC.put("action", action);
        if ("upload_chunk".equals(action)) {
            request.getAttribute(UPLOAD, UploadMetrics.Upload.class).ifPresent(UploadMetrics.Upload::enter);
        }
    }

    public static void org(UUID orgId) {
        MDC.put("org", orgId.toString());
    }

    /** Payload bytes the request stored (chunk data, a transcript), counted only when it succeeds. */
    public static void bytes(HttpRequest<?> request, long bytes) {
        request.setAttribute(BYTES, bytes);
    }
}
