package io.castvault.db;

import java.time.Duration;

/**
 * How to reach PostgreSQL; {@code user} owns the database and runs the migrations.
 *
 * @param connectTimeout             how long opening a connection (TCP + start-up) may take
 * @param statementTimeout           PostgreSQL {@code statement_timeout} of the service's sessions
 * @param idleInTransactionTimeout   PostgreSQL {@code idle_in_transaction_session_timeout}: a transaction left
 *                                   open by a stuck caller releases its locks after this long
 * @param socketTimeout              how long a read from the server may block: a server that vanished without
 *                                   closing the connection (a cut network, a frozen host) fails the request
 *                                   instead of hanging it; longer than {@code statementTimeout}
 */
public record DatabaseSettings(String url, String user, String password, int maxPoolSize, Duration connectTimeout,
                               Duration statementTimeout, Duration idleInTransactionTimeout, Duration socketTimeout) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(90);

    public DatabaseSettings {
        if (url == null || !url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("DATABASE_URL must be a jdbc:postgresql: URL");
        }
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("pool size must be positive");
        }
        for (Duration d : new Duration[] {connectTimeout, statementTimeout, idleInTransactionTimeout, socketTimeout}) {
            if (d == null || d.isNegative() || d.toMillis() < 1) {
                throw new IllegalArgumentException("database timeouts must be at least one millisecond");
            }
        }
        if (socketTimeout.compareTo(statementTimeout) <= 0) {
            throw new IllegalArgumentException("DATABASE_SOCKET_TIMEOUT must be longer than DATABASE_STATEMENT_TIMEOUT");
        }
    }

    /** The default timeouts. */
    public DatabaseSettings(String url, String user, String password, int maxPoolSize) {
        this(url, user, password, maxPoolSize, DEFAULT_CONNECT_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT,
                DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT, DEFAULT_SOCKET_TIMEOUT);
    }
}
