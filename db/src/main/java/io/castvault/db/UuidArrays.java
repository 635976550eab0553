package io.castvault.db;

import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.impl.DSL;

import java.util.Collection;
import java.util.UUID;

/**
 * Membership in a set of ids as one array parameter ({@code = any(?)}) instead of an IN list of one parameter per
 * id: the deletion passes batches of 500, and an IN list is rendered, bound and planned anew for every size.
 */
final class UuidArrays {
    private UuidArrays() {
    }

    static Condition anyOf(Field<UUID> field, Collection<UUID> ids) {
        return field.eq(DSL.any(ids.toArray(UUID[]::new)));
    }

    static Condition noneOf(Field<UUID> field, Collection<UUID> ids) {
        return field.ne(DSL.all(ids.toArray(UUID[]::new)));
    }
}
