package io.castvault.api.http;

import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;

/**
 * Browser hardening on every answer (the dashboard's pages and the API alike): the page may load only its own
 * scripts, styles and data, may not be framed (clickjacking), types are not sniffed, and no URL (with its
 * session ids) leaks to other sites through the referrer.
 *
 * <p>The dashboard needs {@code 'wasm-unsafe-eval'} (asciinema-player's terminal emulator is WebAssembly) and
 * inline styles (the player positions its cells with style attributes), and {@code blob:} for fetches (the
 * recording page hands the downloaded, hash-checked cast to the player as a blob URL); nothing needs inline scripts.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public final class SecurityHeaders {
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
            + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self' blob:; "
            + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    @ResponseFilter
    public void addHeaders(MutableHttpResponse<?> response) {
        response.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        response.header("X-Frame-Options", "DENY");
        response.header("X-Content-Type-Options", "nosniff");
        response.header("Referrer-Policy", "no-referrer");
    }
}
