package io.castvault.db;

/** Raw SQL inside a transaction, for tests that arrange what no API does (backdating, counting rows). */
public final class TestSql {
    private TestSql() {
    }

    public static int execute(Tx tx, String sql, Object... bindings) {
        return tx.dsl().execute(sql, bindings);
    }

    public static String text(Tx tx, String sql, Object... bindings) {
        return tx.dsl().fetchOne(sql, bindings).get(0, String.class);
    }

    /** The first column of the one row, or null when there is none: for rows another thread may delete meanwhile. */
    public static String textOrNull(Tx tx, String sql, Object... bindings) {
        org.jooq.Record row = tx.dsl().fetchOne(sql, bindings);
        return row == null ? null : row.get(0, String.class);
    }

    public static org.jooq.Result<org.jooq.Record> rows(Tx tx, String sql, Object... bindings) {
        return tx.dsl().fetch(sql, bindings);
    }

    public static long count(Tx tx, String sql, Object... bindings) {
        return tx.dsl().fetchOne(sql, bindings).get(0, Long.class);
    }

    /** How many retention removals (that the transaction sees) still name recording {@code id}. */
    public static long removalsNaming(Tx tx, java.util.UUID id) {
        return count(tx, "SELECT count(*) FROM object_removals o, jsonb_array_elements(o.recordings) e WHERE e->>'id' = ?",
                id.toString());
    }
}
