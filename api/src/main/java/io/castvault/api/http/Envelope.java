package io.castvault.api.http;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;

/** The response envelope of CONTRACT.md §3: {@code {success, data, error}}. */
public record Envelope(boolean success, Object data, Problem error) {

    public record Problem(String code, String message) {
    }

    public static MutableHttpResponse<Envelope> ok(Object data) {
        return HttpResponse.ok(new Envelope(true, data, null));
    }

    public static MutableHttpResponse<Envelope> created(Object data) {
        return HttpResponse.<Envelope>status(HttpStatus.CREATED).body(new Envelope(true, data, null));
    }

    public static MutableHttpResponse<Envelope> error(CastvaultException e) {
        return error(e.code(), e.getMessage());
    }

    public static MutableHttpResponse<Envelope> error(ErrorCode code, String message) {
        MutableHttpResponse<Envelope> response = HttpResponse.<Envelope>status(HttpStatus.valueOf(code.httpStatus()))
                .body(new Envelope(false, null, new Problem(code.name(), message)));
        // every 503 is an outage or saturation that a retry shortly after may get past
        return code.httpStatus() == 503 ? response.header("Retry-After", "1") : response;
    }
}
