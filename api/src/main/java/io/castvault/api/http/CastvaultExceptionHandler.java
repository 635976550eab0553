package io.castvault.api.http;

import io.castvault.core.CastvaultException;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Our own failures leave the service in the envelope with their code; server-side ones are logged. */
@Singleton
@Produces
public final class CastvaultExceptionHandler implements ExceptionHandler<CastvaultException, HttpResponse<Envelope>> {
    private static final Logger LOG = LoggerFactory.getLogger(CastvaultExceptionHandler.class);

    @Override
    public HttpResponse<Envelope> handle(HttpRequest request, CastvaultException e) {
        return respond(request, e);
    }

    static MutableHttpResponse<Envelope> respond(HttpRequest<?> request, CastvaultException e) {
        if (e.code().httpStatus() >= 500) {
            LOG.warn("{} {}: {} {}", request.getMethod(), request.getPath(), e.code(), e.getMessage(),
                    e.getCause() != null ? e.getCause() : null);
        }
        return Envelope.error(e);
    }
}
