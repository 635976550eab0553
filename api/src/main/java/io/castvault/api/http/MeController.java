package io.castvault.api.http;

import io.castvault.api.auth.BearerAuth;
import io.castvault.recording.Organizations;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.util.List;
import java.util.UUID;

/**
 * {@code GET /api/me}: who the token speaks for and the orgs they belong to, with their role in each, so the
 * dashboard can offer an org picker and hide controls a role may not use (the actions still enforce every rule).
 */
@Controller("/api/me")
@ExecuteOn(TaskExecutors.BLOCKING)
public class MeController {
    private final BearerAuth auth;
    private final Organizations orgs;

    public MeController(BearerAuth auth, Organizations orgs) {
        this.auth = auth;
        this.orgs = orgs;
    }

    public record Me(String userId, List<Org> orgs) {
    }

    public record Org(String orgId, String name, String role) {
    }

    @Get
    public HttpResponse<Envelope> me(HttpRequest<?> request) {
        UUID user = auth.user(request);
        List<Org> memberships = orgs.membershipsOf(user).stream()
                .map(m -> new Org(m.orgId().toString(), m.orgName(), m.role().dbValue()))
                .toList();
        return Envelope.ok(new Me(user.toString(), memberships));
    }
}
