package io.castvault.api.http;

import io.castvault.api.auth.BearerAuth;
import io.castvault.core.CastvaultException;
import io.castvault.recording.Audit;
import io.castvault.recording.AuditService;
import io.castvault.recording.RequestContext;
import io.micronaut.http.HttpRequest;

import java.util.UUID;

/**
 * Bearer authentication whose failures are audit entries ({@code auth_failed}). The entry has no org: the org an
 * unauthenticated caller names is not believed.
 */
final class AuditedAuth {
    static final String AUTH_FAILED = "auth_failed";

    private AuditedAuth() {
    }

    static UUID user(BearerAuth auth, AuditService audit, HttpRequest<?> request, RequestContext context) {
        try {
            return auth.user(request);
        } catch (CastvaultException e) {
            audit.refused(null, Audit.ANONYMOUS, null, context, AUTH_FAILED, Audit.Target.NONE, e.code(), e.getMessage());
            throw e;
        }
    }
}
