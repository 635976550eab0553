package io.castvault.recording;

/**
 * Where a request came from, for the audit trail: the client's address (resolved through TRUSTED_PROXIES),
 * its user agent and the request id. Work the service does on its own carries {@link #NONE}.
 */
public record RequestContext(String sourceIp, String userAgent, String requestId) {
    public static final RequestContext NONE = new RequestContext(null, null, null);
}
