package io.castvault.api.http;

import io.castvault.recording.RequestContext;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import jakarta.inject.Singleton;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The request's context for the audit trail. The request id is the client's {@code X-Request-Id} when it is a
 * sane token (so a caller can correlate its own logs), else a fresh UUID; it is kept on the request, so every
 * entry of one request carries the same id. (Issue 17 echoes the id in the response; that filter should read
 * {@link #requestId} to stay the same id.)
 */
@Singleton
public final class RequestContexts {
    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    private static final String ATTRIBUTE = "castvault.request-id";
    private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    static final int MAX_USER_AGENT = 512;

    private final ClientOrigin origin;

    public RequestContexts(ClientOrigin origin) {
        this.origin = origin;
    }

    public RequestContext of(HttpRequest<?> request) {
        String agent = request.getHeaders().get(HttpHeaders.USER_AGENT);
        if (agent != null && agent.length() > MAX_USER_AGENT) {
            agent = agent.substring(0, MAX_USER_AGENT);
        }
        return new RequestContext(origin.address(request), agent, requestId(request));
    }

    public static String requestId(HttpRequest<?> request) {
        return request.getAttribute(ATTRIBUTE, String.class).orElseGet(() -> {
            String sent = request.getHeaders().get(REQUEST_ID_HEADER);
            String id = sent != null && SANE_ID.matcher(sent).matches() ? sent : UUID.randomUUID().toString();
            request.setAttribute(ATTRIBUTE, id);
            return id;
        });
    }
}
