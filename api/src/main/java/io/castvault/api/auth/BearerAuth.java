package io.castvault.api.auth;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.recording.Caller;
import io.castvault.recording.Organizations;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;

import java.util.UUID;

/** Bearer-token authentication followed by org membership: the front door of every user route. */
public final class BearerAuth {
    private final Jwt jwt;
    private final Organizations orgs;

    public BearerAuth(Jwt jwt, Organizations orgs) {
        this.jwt = jwt;
        this.orgs = orgs;
    }

    public UUID user(HttpRequest<?> request) {
        String header = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new CastvaultException(ErrorCode.UNAUTHORIZED, "missing bearer token");
        }
        return jwt.verify(header.substring(7).trim());
    }

    public Caller caller(UUID userId, UUID orgId) {
        return orgs.caller(userId, orgId);
    }
}
