package io.castvault.api.http;

import io.castvault.agentingest.RateLimitedException;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;

/** 429 in the envelope, with the wait in {@code Retry-After}. */
@Singleton
@Produces
public final class RateLimitedHandler implements ExceptionHandler<RateLimitedException, HttpResponse<Envelope>> {
    @Override
    public HttpResponse<Envelope> handle(HttpRequest request, RateLimitedException e) {
        return response(e);
    }

    static MutableHttpResponse<Envelope> response(RateLimitedException e) {
        return Envelope.error(e).header(HttpHeaders.RETRY_AFTER, Long.toString(e.retryAfterSeconds()));
    }
}
