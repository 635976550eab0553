package io.castvault.db;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/** The one place where JDBC/jOOQ failures become the service's error vocabulary. */
final class DbErrors {
    private DbErrors() {
    }

    /** What a failure means for the caller and for {@link Database}'s retry. */
    enum Kind {
        /** The server is unreachable, restarting, failing over, read-only or out of resources: retry later. */
        UNAVAILABLE,
        /** A deadlock or serialization failure: the same transaction may simply be run again. */
        RETRY,
        OTHER
    }

    static Kind classify(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            // Hikari's "connection is not available, request timed out" when the pool cannot reach the server
            if (t instanceof SQLTransientConnectionException) {
                return Kind.UNAVAILABLE;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                Kind kind = classify(sql.getSQLState());
                if (kind != Kind.OTHER) {
                    return kind;
                }
            }
        }
        return Kind.OTHER;
    }

    /** The pool could not hand out a connection in its timeout: it has waited already, a retry would wait again. */
    static boolean poolTimedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException) {
                return true;
            }
        }
        return false;
    }

    static Kind classify(String state) {
        if (state.startsWith("08") // connection exception
                || state.startsWith("53") // insufficient resources: disk full, out of memory, too many connections
                || state.equals("57P01") // admin shutdown (pg_terminate_backend, fast shutdown)
                || state.equals("57P02") // crash shutdown
                || state.equals("57P03") // cannot connect now (starting up, recovering)
                || state.equals("57P05") // idle session timeout
                || state.equals("57014") // statement timeout or cancel
                || state.equals("25006") // read-only transaction: a standby after a failover, or read-only mode
                || state.equals("25P03")) { // idle_in_transaction_session_timeout
            return Kind.UNAVAILABLE;
        }
        if (state.equals("40001") || state.equals("40P01")) {
            return Kind.RETRY;
        }
        return Kind.OTHER;
    }

    static RuntimeException translate(RuntimeException e) {
        if (e instanceof CastvaultException) {
            return e;
        }
        return switch (classify(e)) {
            case UNAVAILABLE -> new CastvaultException(ErrorCode.DATABASE_UNAVAILABLE,
                    "the database is unavailable, try again shortly", e);
            // only reached once Database's retries are spent: still transient, never a permanent 409
            case RETRY -> new CastvaultException(ErrorCode.DATABASE_UNAVAILABLE,
                    "the database is busy with concurrent updates, try again shortly", e);
            case OTHER -> e;
        };
    }
}
