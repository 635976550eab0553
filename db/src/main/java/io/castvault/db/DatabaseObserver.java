package io.castvault.db;

/**
 * Told about every transaction and ping, so the service can measure the database without jOOQ or JDBC types
 * leaving this module. Implementations must be cheap and must not throw.
 */
public interface DatabaseObserver {
    DatabaseObserver NONE = (operation, nanos, failure) -> {
    };

    /**
     * @param operation {@code transaction} or {@code ping}
     * @param failure   null on success, else the error code name the failure was translated to (e.g.
     *                  {@code DATABASE_UNAVAILABLE}, {@code CONFLICT}) or {@code OTHER}
     */
    void completed(String operation, long nanos, String failure);
}
