package io.castvault.db;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.testing.TestPostgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: how PostgreSQL's failures reach callers, V3's repair of non-finite numbers and V12's of flat gap lists,
 * on the real server; issue 13: V17's chunk rules as domains, in place.
 */
class DatabaseFailuresTest {

    @Test
    void connectionLevelStatesAreUnavailableAndDeadlocksRetryable() {
        for (String state : new String[] {"08000", "08003", "08006", "08001", "57P01", "57P02", "57P03", "57P05",
                "25006", "53100", "53200", "53300", "25P03", "57014"}) {
            assertEquals(DbErrors.Kind.UNAVAILABLE, DbErrors.classify(state), state);
        }
        assertEquals(DbErrors.Kind.RETRY, DbErrors.classify("40P01"));
        assertEquals(DbErrors.Kind.RETRY, DbErrors.classify("40001"));
        assertEquals(DbErrors.Kind.OTHER, DbErrors.classify("23505"));
        assertEquals(DbErrors.Kind.UNAVAILABLE, DbErrors.classify(new java.sql.SQLTransientConnectionException("pool")));
    }

    @Test
    void aDeadlockIsRetriedInsideTheTransactionAndBothSucceed() throws Exception {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        try (Database db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 4))) {
            db.migrate();
            UUID a = UUID.randomUUID();
            UUID b = UUID.randomUUID();
            db.acrossOrgs(tx -> {
                OrgQueries.createOrg(tx, a, "a", Set.of());
                OrgQueries.createOrg(tx, b, "b", Set.of());
                return null;
            });
            AtomicInteger attempts = new AtomicInteger();
            CountDownLatch bothLockedFirst = new CountDownLatch(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<?> one = pool.submit(() -> lockBoth(db, a, b, attempts, bothLockedFirst));
                Future<?> two = pool.submit(() -> lockBoth(db, b, a, attempts, bothLockedFirst));
                // before the fix one of them answered CONFLICT (409, which clients read as permanent)
                one.get(30, TimeUnit.SECONDS);
                two.get(30, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            assertTrue(attempts.get() >= 3, "the deadlock victim ran again: " + attempts.get() + " attempts");
        }
    }

    /** Locks {@code first}, waits until the other transaction holds its first row too, then locks {@code second}. */
    private static void lockBoth(Database db, UUID first, UUID second, AtomicInteger attempts, CountDownLatch latch) {
        db.acrossOrgs(tx -> {
            attempts.incrementAndGet();
            tx.dsl().execute("UPDATE orgs SET name = name WHERE id = ?", first);
            if (latch.getCount() > 0) {
                latch.countDown();
                try {
                    latch.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            tx.dsl().execute("UPDATE orgs SET name = name WHERE id = ?", second);
            return null;
        });
    }

    @Test
    void spentRetriesAreDatabaseUnavailableNotAConflict() {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        try (Database db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 2))) {
            for (String state : new String[] {"40001", "40P01"}) {
                AtomicInteger attempts = new AtomicInteger();
                // a transaction that loses every time, as under a storm of concurrent updates
                CastvaultException e = assertThrows(CastvaultException.class, () -> db.acrossOrgs(tx -> {
                    attempts.incrementAndGet();
                    tx.dsl().execute("DO $$ BEGIN RAISE EXCEPTION 'lost again' USING ERRCODE = '" + state + "'; END $$");
                    return null;
                }));
                assertEquals(ErrorCode.DATABASE_UNAVAILABLE, e.code(), state + ": " + e.getMessage());
                assertEquals(Database.MAX_ATTEMPTS, attempts.get(), state);
            }
        }
    }

    @Test
    void aStatementTimeoutIsDatabaseUnavailable() {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        DatabaseSettings settings = new DatabaseSettings(c.url(), c.user(), c.password(), 2,
                java.time.Duration.ofSeconds(5), java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(5),
                java.time.Duration.ofSeconds(10));
        try (Database db = Database.connect(settings)) {
            CastvaultException e = assertThrows(CastvaultException.class,
                    () -> db.acrossOrgs(tx -> tx.dsl().execute("SELECT pg_sleep(2)")));
            assertEquals(ErrorCode.DATABASE_UNAVAILABLE, e.code());
        }
    }

    @Test
    void aReadOnlyDatabaseIsUnavailableNotAnInternalError() throws Exception {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        try (Database db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 2));
             Connection admin = DriverManager.getConnection(c.url(), c.user(), c.password())) {
            db.migrate();
            exec(admin, "ALTER DATABASE " + databaseName(admin) + " SET default_transaction_read_only = on");
            exec(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid() AND usename = current_user");
            CastvaultException e = assertThrows(CastvaultException.class, () -> db.acrossOrgs(tx -> {
                OrgQueries.createOrg(tx, UUID.randomUUID(), "x", Set.of());
                return null;
            }));
            assertEquals(ErrorCode.DATABASE_UNAVAILABLE, e.code(), e.getMessage());
            exec(admin, "ALTER DATABASE " + databaseName(admin) + " RESET default_transaction_read_only");
            exec(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid() AND usename = current_user");
            // the pool recovers by itself: the dead connections are validated away
            UUID org = UUID.randomUUID();
            db.acrossOrgs(tx -> {
                OrgQueries.createOrg(tx, org, "y", Set.of());
                return null;
            });
            boolean exists = db.acrossOrgs(tx -> OrgQueries.orgExists(tx, org));
            assertTrue(exists);
        }
    }

    @Test
    void v3RepairsNonFiniteNumbersAndRefusesNewOnes() throws Exception {
        TestPostgres.Coordinates c = migratedTo("2");
        UUID org = UUID.randomUUID();
        UUID user = UUID.randomUUID();
        UUID bad = UUID.randomUUID();
        UUID good = UUID.randomUUID();
        try (Connection conn = DriverManager.getConnection(c.url(), c.user(), c.password())) {
            orgAndUser(conn, org, user);
            // as the old code stored them: a poisoned recording, its chunk, and metadata with a non-finite string
            exec(conn, "INSERT INTO session_recordings (id, org_id, user_id, session_type, status, duration_seconds, metadata)"
                    + " VALUES ('" + bad + "', '" + org + "', '" + user + "', 'ssh', 'completed', 'Infinity',"
                    + " '{\"x\": \"NaN\", \"recording_sha256\": \"ab\"}')");
            exec(conn, "INSERT INTO recording_chunks (recording_id, org_id, chunk_index, sha256, byte_length, event_count,"
                    + " last_event_time) VALUES ('" + bad + "', '" + org + "', 0, decode(repeat('00', 32), 'hex'), 1, 1, 'Infinity')");
            exec(conn, "INSERT INTO session_recordings (id, org_id, user_id, session_type, status, duration_seconds)"
                    + " VALUES ('" + good + "', '" + org + "', '" + user + "', 'ssh', 'completed', 12.5)");
            assertEquals("Infinity", scalar(conn, "SELECT total_duration::text FROM recording_stats WHERE org_id = '" + org + "'"));
        }
        try (Database db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 2));
             Connection conn = DriverManager.getConnection(c.url(), c.user(), c.password())) {
            db.migrate();
            exec(conn, "SELECT set_config('castvault.all_orgs', 'on', false)");
            assertNull(scalar(conn, "SELECT duration_seconds::text FROM session_recordings WHERE id = '" + bad + "'"));
            assertEquals("{\"recording_sha256\": \"ab\"}", scalar(conn, "SELECT metadata::text FROM session_recordings WHERE id = '" + bad + "'"));
            assertEquals("0", scalar(conn, "SELECT last_event_time::text FROM recording_chunks WHERE recording_id = '" + bad + "'"));
            assertEquals("12.5", scalar(conn, "SELECT total_duration::text FROM recording_stats WHERE org_id = '" + org + "'"));
            for (String value : new String[] {"'Infinity'", "'NaN'", "-1", "1e10"}) {
                SQLException e = assertThrows(SQLException.class, () -> exec(conn,
                        "UPDATE session_recordings SET duration_seconds = " + value + " WHERE id = '" + good + "'"));
                assertEquals("23514", e.getSQLState(), value);
                e = assertThrows(SQLException.class, () -> exec(conn,
                        "UPDATE recording_chunks SET last_event_time = " + value + " WHERE recording_id = '" + bad + "'"));
                assertEquals("23514", e.getSQLState(), value);
            }
        }
    }

    @Test
    void v12RewritesFlatMissingChunkListsAsRanges() throws Exception {
        TestPostgres.Coordinates c = migratedTo("11");
        UUID org = UUID.randomUUID();
        UUID user = UUID.randomUUID();
        // before: metadata as the old code stored it (a flat list of every missing index), and as it is stored now
        String[][] rows = {
                {"'{\"recording_sha256\": \"ab\"}'::jsonb || jsonb_build_object('missing_chunks',"
                        + " (SELECT jsonb_agg(i) FROM generate_series(2, 999999) i))", "[[2, 999999]]"},
                {"'{\"missing_chunks\": [1, 3, 4, 5, 9]}'", "[[1, 1], [3, 5], [9, 9]]"},
                {"'{\"missing_chunks\": [[1, 1], [3, 4]]}'", "[[1, 1], [3, 4]]"},
                {"'{\"missing_chunks\": []}'", "[]"},
                {"'{\"reported_by_agent\": true}'", null}};
        UUID[] ids = new UUID[rows.length];
        try (Connection conn = DriverManager.getConnection(c.url(), c.user(), c.password())) {
            orgAndUser(conn, org, user);
            for (int i = 0; i < rows.length; i++) {
                ids[i] = UUID.randomUUID();
                exec(conn, "INSERT INTO session_recordings (id, org_id, user_id, session_type, status, duration_seconds,"
                        + " metadata) VALUES ('" + ids[i] + "', '" + org + "', '" + user + "', 'ssh', 'completed', 3, "
                        + rows[i][0] + ")");
            }
        }
        try (Database db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 2));
             Connection conn = DriverManager.getConnection(c.url(), c.user(), c.password())) {
            db.migrate();
            exec(conn, "SELECT set_config('castvault.all_orgs', 'on', false)");
            for (int i = 0; i < rows.length; i++) {
                assertEquals(rows[i][1], scalar(conn, "SELECT (metadata -> 'missing_chunks')::text FROM session_recordings"
                        + " WHERE id = '" + ids[i] + "'"), rows[i][0]);
            }
            assertEquals("ab", scalar(conn, "SELECT metadata ->> 'recording_sha256' FROM session_recordings WHERE id = '" + ids[0] + "'"));
            assertEquals("true", scalar(conn, "SELECT metadata ->> 'reported_by_agent' FROM session_recordings WHERE id = '" + ids[4] + "'"));
            // the counters are untouched by a metadata-only rewrite
            assertEquals("5 15", scalar(conn, "SELECT recordings || ' ' || total_duration FROM recording_stats"
                    + " WHERE org_id = '" + org + "'"));
        }
    }

    @Test
    void v17KeepsTheChunkRulesAsDomainsWithoutRewritingTheTable() throws Exception {
        TestPostgres.Coordinates c = migratedTo("16");
        UUID org = UUID.randomUUID();
        UUID user = UUID.randomUUID();
        UUID recording = UUID.randomUUID();
        String files = "SELECT pg_relation_filenode('recording_chunks') || ' ' || pg_relation_filenode('recording_chunks_pkey')";
        String before;
        try (Connection conn = DriverManager.getConnection(c.url(), c.user(), c.password())) {
            orgAndUser(conn, org, user);
            exec(conn, "INSERT INTO session_recordings (id, org_id, user_id, session_type, status)"
                    + " VALUES ('" + recording + "', '" + org + "', '" + user + "', 'ssh', 'active')");
            exec(conn, "INSERT INTO recording_chunks (recording_id, org_id, chunk_index, sha256, byte_length, event_count,"
                    + " last_event_time, state) VALUES ('" + recording + "', '" + org + "', 0, decode(repeat('ab', 32), 'hex'),"
                    + " 10, 1, 1.5, 'pending')");
            before = scalar(conn, files);
        }
        try (Database db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 2));
             Connection conn = DriverManager.getConnection(c.url(), c.user(), c.password())) {
            db.migrate();
            exec(conn, "SELECT set_config('castvault.all_orgs', 'on', false)");
            assertEquals(before, scalar(conn, files), "the table and its primary key were rewritten");
            assertEquals("0 32 10 1.5 pending", scalar(conn, "SELECT chunk_index || ' ' || length(sha256) || ' ' || byte_length"
                    + " || ' ' || last_event_time || ' ' || state FROM recording_chunks WHERE recording_id = '" + recording + "'"));
            assertEquals("0", scalar(conn, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'recording_chunks'::regclass"
                    + " AND contype = 'c'"));
            String insert = "INSERT INTO recording_chunks (recording_id, org_id, chunk_index, sha256, byte_length, event_count,"
                    + " last_event_time, state) VALUES ('" + recording + "', '" + org + "', %s, %s, %s, 1, %s, %s)";
            String[] good = {"1", "decode(repeat('ab', 32), 'hex')", "10", "1.5", "'pending'"};
            String[][] bad = {{"-1"}, {"decode(repeat('ab', 31), 'hex')", "decode(repeat('ab', 33), 'hex')"}, {"-1"},
                    {"'Infinity'", "'NaN'", "-1", "1e10"}, {"'stored '", "'deleted'"}};
            String[] columns = {"chunk_index", "sha256", "byte_length", "last_event_time", "state"};
            for (int column = 0; column < bad.length; column++) {
                String name = columns[column];
                for (String value : bad[column]) {
                    String[] values = good.clone();
                    values[column] = value;
                    SQLException e = assertThrows(SQLException.class, () -> exec(conn, insert.formatted((Object[]) values)));
                    assertEquals("23514", e.getSQLState(), name + " = " + value);
                    // an UPDATE that sets the column is checked too
                    e = assertThrows(SQLException.class, () -> exec(conn, "UPDATE recording_chunks SET " + name + " = "
                            + value + " WHERE recording_id = '" + recording + "'"));
                    assertEquals("23514", e.getSQLState(), name + " = " + value);
                }
            }
            exec(conn, insert.formatted((Object[]) good));
            exec(conn, "UPDATE recording_chunks SET state = 'stored' WHERE recording_id = '" + recording + "'");
            assertEquals("2", scalar(conn, "SELECT count(*) FROM recording_chunks WHERE state = 'stored'"));
        }
    }

    /** A fresh database with the migrations up to {@code version}: the schema an older release left. */
    private static TestPostgres.Coordinates migratedTo(String version) {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        Flyway.configure().dataSource(c.url(), c.user(), c.password()).locations("classpath:db/migration")
                .target(version).load().migrate();
        return c;
    }

    /** Opens {@code conn} to every org and creates one org and one user, as rows of an older release. */
    private static void orgAndUser(Connection conn, UUID org, UUID user) throws SQLException {
        exec(conn, "SELECT set_config('castvault.all_orgs', 'on', false)");
        exec(conn, "INSERT INTO orgs (id, name) VALUES ('" + org + "', 'o')");
        exec(conn, "INSERT INTO users (id, name) VALUES ('" + user + "', 'u')");
    }

    private static String databaseName(Connection c) throws SQLException {
        return "\"" + scalar(c, "SELECT current_database()") + "\"";
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
