package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.db.Role;

import java.util.Arrays;
import java.util.UUID;

/**
 * An authenticated user acting in one org with the role their membership gives them there, and where the
 * request came from (for the audit trail).
 */
public record Caller(UUID userId, UUID orgId, Role role, RequestContext request) {

    public Caller(UUID userId, UUID orgId, Role role) {
        this(userId, orgId, role, RequestContext.NONE);
    }

    public Caller with(RequestContext context) {
        return new Caller(userId, orgId, role, context);
    }

    public void requireRole(Role... allowed) {
        if (Arrays.asList(allowed).contains(role)) {
            return;
        }
        throw CastvaultException.forbidden("this action needs the " + String.join(" or ",
                Arrays.stream(allowed).map(Role::dbValue).toList()) + " role");
    }

    /** Admins act on every recording of the org, members only on their own; auditors never write. */
    public void requireWriter(UUID ownerId) {
        if (role == Role.ADMIN || (role == Role.MEMBER && userId.equals(ownerId))) {
            return;
        }
        throw CastvaultException.forbidden("only the session owner or an org admin can do this");
    }

    /** Admins and auditors read every recording of the org, members only their own. */
    public void requireReader(UUID ownerId) {
        if (role == Role.ADMIN || role == Role.AUDITOR || userId.equals(ownerId)) {
            return;
        }
        throw CastvaultException.forbidden("members can read only their own recordings");
    }
}
