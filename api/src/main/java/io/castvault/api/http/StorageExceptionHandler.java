package io.castvault.api.http;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.storage.StorageException;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;

/**
 * The use cases say what a store failure means; one that reaches the HTTP layer untranslated is still the object
 * store failing us, so it is a retryable 503, never a 500.
 */
@Singleton
@Produces
public final class StorageExceptionHandler implements ExceptionHandler<StorageException, HttpResponse<Envelope>> {

    @Override
    public HttpResponse<Envelope> handle(HttpRequest request, StorageException e) {
        return Envelope.error(request,
                new CastvaultException(ErrorCode.STORAGE_UNAVAILABLE, "the object store is unavailable; retry", e));
    }
}
