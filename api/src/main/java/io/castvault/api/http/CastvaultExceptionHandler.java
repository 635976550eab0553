package io.castvault.api.http;

import io.castvault.core.CastvaultException;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;

/**
 * Our own failures leave the service in the envelope with their code. Subclasses come here too (the framework
 * picks the handler of the closest type), so a rate limit's wait reaches the client through {@link Envelope}.
 */
@Singleton
@Produces
public final class CastvaultExceptionHandler implements ExceptionHandler<CastvaultException, HttpResponse<Envelope>> {

    @Override
    public HttpResponse<Envelope> handle(HttpRequest request, CastvaultException e) {
        return Envelope.error(request, e);
    }
}
