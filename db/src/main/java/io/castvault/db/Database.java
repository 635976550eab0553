package io.castvault.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import org.flywaydb.core.Flyway;
import org.jooq.DSLContext;
import org.jooq.Record2;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;

/** The PostgreSQL tier: a connection pool, migrations, and transactions confined to one org. */
public final class Database implements AutoCloseable {
    /** Attempts of a transaction that hit a deadlock or serialization failure before it answers 503. */
    static final int MAX_ATTEMPTS = 4;
    private final HikariDataSource dataSource;
    private final DSLContext dsl;
    private final DatabaseSettings settings;
    private final DatabaseObserver observer;

    private Database(DatabaseSettings settings, HikariDataSource dataSource, DatabaseObserver observer) {
        this.settings = settings;
        this.dataSource = dataSource;
        this.observer = observer;
        this.dsl = DSL.using(dataSource, SQLDialect.POSTGRES, new Settings().withExecuteLogging(false));
    }

    public static Database connect(DatabaseSettings settings) {
        return connect(settings, DatabaseObserver.NONE);
    }

    /** As {@link #connect(DatabaseSettings)}, reporting every transaction and ping to {@code observer}. */
    public static Database connect(DatabaseSettings settings, DatabaseObserver observer) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(settings.url());
        config.setUsername(settings.user());
        config.setPassword(settings.password());
        config.setMaximumPoolSize(settings.maxPoolSize());
        // grow on demand: short-lived processes (the admin CLI) and idle instances should not hold many slots
        config.setMinimumIdle(Math.min(2, settings.maxPoolSize()));
        config.setPoolName("castvault");
        config.setConnectionTimeout(5_000);
        config.addDataSourceProperty("connectTimeout", Math.max(1, settings.connectTimeout().toSeconds()));
        config.addDataSourceProperty("socketTimeout", Math.max(1, settings.socketTimeout().toSeconds()));
        // A runaway statement, or a transaction a stuck caller left open, must not hold locks and a pool slot for
        // ever; set on every new connection (migrations lift it, see migrate()).
        config.setConnectionInitSql("SELECT set_config('statement_timeout', '" + settings.statementTimeout().toMillis()
                + "', false), set_config('idle_in_transaction_session_timeout', '"
                + settings.idleInTransactionTimeout().toMillis() + "', false)");
        // Idle connections are probed, so the ones an outage killed are replaced before a request picks them up
        // (a connection taken from the pool is validated too, when it has been idle for more than half a second).
        config.setKeepaliveTime(30_000);
        // The pool must come up even while the database is down, so /health can say 503 instead of the
        // process failing; migrate() is where an unreachable database stops start-up.
        config.setInitializationFailTimeout(-1);
        return new Database(settings, new HikariDataSource(config), observer);
    }

    /** Applies pending migrations as the owning role. */
    public void migrate() {
        try {
            // a migration that repairs a large table may take longer than a request's statement timeout
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration")
                    .initSql("SET statement_timeout = 0").load().migrate();
        } catch (RuntimeException e) {
            throw new CastvaultException(ErrorCode.DATABASE_UNAVAILABLE, "database migration failed: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a role that would not be subject to row-level security: tenant isolation must not depend on the
     * queries alone.
     */
    public void requireRowLevelSecurity() {
        Record2<Boolean, Boolean> role = dsl.resultQuery(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                .coerce(DSL.field("rolsuper", Boolean.class), DSL.field("rolbypassrls", Boolean.class))
                .fetchOne();
        if (role == null || role.value1() || role.value2()) {
            throw new IllegalStateException("DATABASE_USER " + settings.user() + " is a superuser or has BYPASSRLS; "
                    + "row-level security would not apply. Use an ordinary role that owns the database.");
        }
    }

    /** Runs {@code work} in a transaction that sees only {@code orgId}'s rows. */
    public <T> T inOrg(UUID orgId, Function<Tx, T> work) {
        return transaction(orgId, work);
    }

    /**
     * Runs {@code work}, which must be ONE statement that scopes itself to {@code orgId} (a function of migration
     * V15 that sets {@code castvault.org_id} for its own statement), in autocommit mode: one round trip instead of
     * a transaction's set_config, statement and COMMIT. Without the statement's own scoping row-level security
     * shows it nothing. Retried, like a transaction, only after a deadlock or serialization failure.
     */
    <T> T statementInOrg(UUID orgId, Function<Tx, T> work) {
        long start = System.nanoTime();
        String failure = null;
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    return work.apply(new Tx(dsl, orgId));
                } catch (RuntimeException e) {
                    if (attempt >= MAX_ATTEMPTS || !worthRetrying(e, true)) {
                        throw DbErrors.translate(e);
                    }
                    backOff(attempt);
                }
            }
        } catch (RuntimeException e) {
            failure = failureKind(e);
            throw e;
        } finally {
            observer.completed("transaction", System.nanoTime() - start, failure);
        }
    }

    /** Runs {@code work} in a transaction that sees every org: only for work that spans orgs by design. */
    public <T> T acrossOrgs(Function<Tx, T> work) {
        return transaction(null, work);
    }

    private <T> T transaction(UUID orgId, Function<Tx, T> work) {
        long start = System.nanoTime();
        String failure = null;
        try {
            return transactionWithRetries(orgId, work);
        } catch (RuntimeException e) {
            failure = failureKind(e);
            throw e;
        } finally {
            observer.completed("transaction", System.nanoTime() - start, failure);
        }
    }

    private <T> T transactionWithRetries(UUID orgId, Function<Tx, T> work) {
        for (int attempt = 1; ; attempt++) {
            boolean[] began = {false};
            try {
                return dsl.transactionResult(configuration -> {
                    DSLContext tx = configuration.dsl();
                    scope(tx, orgId);
                    began[0] = true;
                    return work.apply(new Tx(tx, orgId));
                });
            } catch (RuntimeException e) {
                if (attempt >= MAX_ATTEMPTS || !worthRetrying(e, began[0])) {
                    throw DbErrors.translate(e);
                }
                backOff(attempt);
            }
        }
    }

    /**
     * Confines the transaction to {@code orgId}'s rows (row-level security reads the setting), or opens it to all
     * orgs when null. Straight through JDBC: every transaction runs it, and jOOQ's execution of plain SQL compiled
     * a regular expression per call to classify the statement (JFR: about a tenth of the service's CPU on list).
     */
    private static void scope(DSLContext tx, UUID orgId) {
        tx.connection(connection -> {
            try (PreparedStatement ps = connection.prepareStatement(orgId != null
                    ? "SELECT set_config('castvault.org_id', ?, true)" : "SELECT set_config('castvault.all_orgs', 'on', true)")) {
                if (orgId != null) {
                    ps.setString(1, orgId.toString());
                }
                ps.execute();
            } catch (SQLException e) {
                throw new DataAccessException("setting the transaction's org failed: " + e.getMessage(), e);
            }
        });
    }

    /**
     * A deadlock or serialization failure rolled everything back, so the transaction is run again (the work of
     * every transaction here may run more than once). A connection that turns out dead (an outage the pool has
     * not noticed yet, a terminated backend) is retried only when it failed before the work began: after that,
     * a lost commit could not be told from a lost answer. A pool that timed out handing out a connection is not
     * retried: it has waited its timeout already, and callers (a request, the event consumer) must hear of the
     * outage in seconds.
     */
    private static boolean worthRetrying(RuntimeException e, boolean workBegan) {
        if (e instanceof CastvaultException) {
            return false;
        }
        return switch (DbErrors.classify(e)) {
            case RETRY -> true;
            case UNAVAILABLE -> !workBegan && !DbErrors.poolTimedOut(e);
            case OTHER -> false;
        };
    }

    private static void backOff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(5, 25) * attempt);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new CastvaultException(ErrorCode.DATABASE_UNAVAILABLE, "interrupted while retrying a transaction");
        }
    }

    private static String failureKind(RuntimeException e) {
        // a use case's own refusal (NOT_FOUND, FORBIDDEN...) thrown inside a transaction is not a database failure
        if (e instanceof CastvaultException ce) {
            return switch (ce.code()) {
                case DATABASE_UNAVAILABLE, CONFLICT -> ce.code().name();
                default -> null;
            };
        }
        return "OTHER";
    }

    /** A transaction with neither setting, as a forgotten scope would be; for proving that it sees nothing. */
    public <T> T unscoped(Function<Tx, T> work) {
        try {
            return dsl.transactionResult(configuration -> work.apply(new Tx(configuration.dsl(), null)));
        } catch (RuntimeException e) {
            throw DbErrors.translate(e);
        }
    }

    public void ping() {
        long start = System.nanoTime();
        String failure = null;
        try {
            dsl.selectOne().fetch();
        } catch (RuntimeException e) {
            RuntimeException translated = DbErrors.translate(e);
            failure = translated instanceof CastvaultException ce ? ce.code().name() : "OTHER";
            throw translated;
        } finally {
            observer.completed("ping", System.nanoTime() - start, failure);
        }
    }

    /** The pool's occupancy; zeros before the pool has started. */
    public PoolStats poolStats() {
        var pool = dataSource.getHikariPoolMXBean();
        if (pool == null) {
            return new PoolStats(0, 0, 0, 0, settings.maxPoolSize());
        }
        return new PoolStats(pool.getActiveConnections(), pool.getIdleConnections(), pool.getTotalConnections(),
                pool.getThreadsAwaitingConnection(), settings.maxPoolSize());
    }

    /** Listens for changes other processes make to cached tables (memberships, machines, orgs). */
    public ChangeListener listenForChanges(Consumer<String> onChange) {
        return new ChangeListener(settings, onChange);
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
