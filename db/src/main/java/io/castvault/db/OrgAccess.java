package io.castvault.db;

import java.util.Set;

/** What a user may do in an org: their role there and the org's enabled features. */
public record OrgAccess(Role role, Set<String> features) {
}
