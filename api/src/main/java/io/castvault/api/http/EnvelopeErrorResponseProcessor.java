package io.castvault.api.http;

import io.castvault.core.ErrorCode;
import io.micronaut.context.annotation.Primary;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Errors the framework produces (unknown route, wrong method, body too large, uncaught exceptions) in the
 * envelope too, mapped to the nearest code; a 500 carries no detail (the detail goes to the log).
 */
@Singleton
@Primary
public final class EnvelopeErrorResponseProcessor implements ErrorResponseProcessor<Envelope> {
    private static final Logger LOG = LoggerFactory.getLogger(EnvelopeErrorResponseProcessor.class);

    @Override
    public MutableHttpResponse<Envelope> processResponse(ErrorContext context, MutableHttpResponse<?> response) {
        int status = response.code();
        ErrorCode code = switch (status) {
            case 401 -> ErrorCode.UNAUTHORIZED;
            case 403 -> ErrorCode.FORBIDDEN;
            case 404 -> ErrorCode.NOT_FOUND;
            case 409 -> ErrorCode.CONFLICT;
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 429 -> ErrorCode.RATE_LIMITED;
            case 503 -> ErrorCode.STORAGE_UNAVAILABLE;
            default -> status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.INVALID_INPUT;
        };
        String message;
        if (status >= 500) {
            context.getRootCause().ifPresent(t -> LOG.error("unexpected failure on {}", context.getRequest().getPath(), t));
            message = "internal error";
        } else if (status == 404) {
            message = "no such route: " + context.getRequest().getMethod() + " " + context.getRequest().getPath();
        } else if (status == 405) {
            message = "method " + context.getRequest().getMethod() + " is not allowed here";
        } else if (status == 413) {
            // the framework's own 413 comes with no cause: an oversized body, header block or request line alike
            message = "request too large: its body, its headers or its URL exceed what the server accepts";
        } else {
            message = context.getErrors().isEmpty() ? HttpStatus.valueOf(status).getReason()
                    : context.getErrors().get(0).getMessage();
        }
        MutableHttpResponse<Envelope> answer = Envelope.frameworkError(response, code, message);
        // the headers of the answer GET would have had, and no body
        return context.getRequest().getMethod() == HttpMethod.HEAD ? answer.body(null) : answer;
    }
}
