package io.castvault.db;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import org.jooq.exception.DataAccessException;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/** The one place where JDBC/jOOQ failures become the service's error vocabulary. */
final class DbErrors {
    private DbErrors() {
    }

    static RuntimeException translate(RuntimeException e) {
        if (e instanceof CastvaultException) {
            return e;
        }
        if (e instanceof DataAccessException dae) {
            String state = dae.sqlState();
            if (state != null && state.startsWith("08") || isConnectionFailure(dae)) {
                return new CastvaultException(ErrorCode.DATABASE_UNAVAILABLE, "database unavailable", e);
            }
            if ("40001".equals(state) || "40P01".equals(state)) {
                return new CastvaultException(ErrorCode.CONFLICT, "concurrent update, try again", e);
            }
            if ("57014".equals(state)) {
                return new CastvaultException(ErrorCode.DATABASE_UNAVAILABLE, "database statement timed out", e);
            }
        }
        return e;
    }

    private static boolean isConnectionFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                return true;
            }
        }
        return false;
    }
}
