package io.castvault.db;

import org.jooq.DSLContext;

import java.util.Optional;
import java.util.UUID;

/**
 * An open transaction, either scoped to one org (row-level security shows only that org's rows) or, for work
 * that spans orgs by design, to all of them. Queries take it as their first argument.
 */
public final class Tx {
    private final DSLContext dsl;
    private final UUID orgId;

    Tx(DSLContext dsl, UUID orgId) {
        this.dsl = dsl;
        this.orgId = orgId;
    }

    DSLContext dsl() {
        return dsl;
    }

    /** The org this transaction is confined to; empty for an all-orgs transaction. */
    Optional<UUID> orgId() {
        return Optional.ofNullable(orgId);
    }

    UUID requireOrg() {
        if (orgId == null) {
            throw new IllegalStateException("this query needs an org-scoped transaction");
        }
        return orgId;
    }
}
