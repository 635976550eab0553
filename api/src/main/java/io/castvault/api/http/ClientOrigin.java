package io.castvault.api.http;

import io.castvault.agentingest.TrustedProxies;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import jakarta.inject.Singleton;

import java.net.InetAddress;
import java.util.List;

/**
 * Where a request comes from: the client's address (for rate limiting) and the base URL it used (for the links
 * we answer with). Forwarding headers count only when the TCP peer is one of {@code TRUSTED_PROXIES}.
 */
@Singleton
public final class ClientOrigin {
    private final TrustedProxies proxies;

    public ClientOrigin(TrustedProxies proxies) {
        this.proxies = proxies;
    }

    public String address(HttpRequest<?> request) {
        List<String> forwarded = request.getHeaders().getAll("X-Forwarded-For");
        return proxies.clientAddress(peer(request), forwarded.isEmpty() ? null : String.join(",", forwarded));
    }

    /** {@code scheme://host[:port]} as the client addressed us, or empty when it did not say (HTTP/1.0). */
    public String baseUrl(HttpRequest<?> request) {
        String scheme = request.isSecure() ? "https" : "http";
        String host = request.getHeaders().get(HttpHeaders.HOST);
        if (proxies.isTrusted(peer(request))) {
            scheme = first(request.getHeaders().get("X-Forwarded-Proto"), scheme);
            host = first(request.getHeaders().get("X-Forwarded-Host"), host);
        }
        return host == null || host.isBlank() ? "" : scheme + "://" + host;
    }

    private static InetAddress peer(HttpRequest<?> request) {
        return request.getRemoteAddress().getAddress();
    }

    /** The first entry of a possibly comma-separated forwarding header, else the fallback. */
    private static String first(String header, String fallback) {
        if (header == null || header.isBlank()) {
            return fallback;
        }
        int comma = header.indexOf(',');
        return (comma < 0 ? header : header.substring(0, comma)).strip();
    }
}
