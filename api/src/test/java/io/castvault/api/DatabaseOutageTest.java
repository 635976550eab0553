package io.castvault.api;

import io.castvault.testing.TcpRelay;
import io.castvault.testing.TestPostgres;
import io.castvault.testing.ThrowawayPostgres;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 11: PostgreSQL goes away under load (its backends terminated, the database read-only as after a
 * failover, the server unreachable and back, the server stopped and started) while a client uploads chunks and
 * another lists. Every answer is
 * 2xx or a retryable 503 with Retry-After, never a 500; the service recovers without a restart; every chunk that
 * was acknowledged is in the completed recording.
 */
class DatabaseOutageTest {

    @Test
    void outagesAnswer503AndLoseNothingAcknowledged() throws Exception {
        TestPostgres.Coordinates db = TestPostgres.instance().freshDatabase();
        URI server = URI.create("tcp://" + TestPostgres.instance().host() + ":" + TestPostgres.instance().port());
        String dbName = db.url().substring(db.url().lastIndexOf('/') + 1);
        try (TcpRelay relay = new TcpRelay(server);
             TestApp app = TestApp.start(Map.of(
                     "castvault.database.url", "jdbc:postgresql://127.0.0.1:" + relay.uri().getPort() + "/" + dbName,
                     "castvault.database.user", db.user(),
                     "castvault.database.password", db.password(),
                     "castvault.database.connect-timeout", "2s"), false);
             Connection admin = DriverManager.getConnection(db.url(), db.user(), db.password())) {
            TestOrg org = app.newOrg(true);
            UUID session = org.start(org.adminId());
            Load load = new Load(org, session, Set.of("DATABASE_UNAVAILABLE", "STORAGE_UNAVAILABLE"));
            try {
                Thread.sleep(1000);
                // 1. an operator's pg_terminate_backend (or a restart) kills every connection of the service
                for (int round = 0; round < 3; round++) {
                    terminateServiceBackends(admin);
                    Thread.sleep(400);
                }
                // 2. read-only, as a promoted standby in recovery or an operator's emergency switch
                exec(admin, "ALTER DATABASE " + dbName + " SET default_transaction_read_only = on");
                terminateServiceBackends(admin);
                Thread.sleep(1500);
                exec(admin, "ALTER DATABASE " + dbName + " RESET default_transaction_read_only");
                terminateServiceBackends(admin);
                Thread.sleep(1000);
                // 3. the server unreachable: connections reset, new ones refused; then back
                relay.cut();
                Thread.sleep(3000);
                relay.restore();
                waitForRecovery(org);
                Thread.sleep(1000);
            } finally {
                load.stop();
            }
            assertTrue(load.refused() > 0, "the outages were seen: " + load.statuses());
            load.verify("database outage");
        }
    }

    /**
     * The real thing, not a cut relay: a PostgreSQL of the test's own is shut down with {@code pg_ctl stop -m fast}
     * (every backend terminated, new connections refused while it shuts down and while it is down) and started
     * again during the uploads. The service is not restarted and must be back within seconds.
     */
    @Test
    void aStopAndStartOfPostgresAnswers503AndLosesNothing() throws Exception {
        assumeTrue(ThrowawayPostgres.available(), "no PostgreSQL 15 binaries under /usr/lib/postgresql/15/bin");
        try (ThrowawayPostgres pg = ThrowawayPostgres.start();
             TestApp app = TestApp.start(Map.of(
                     "castvault.database.url", pg.database().url(),
                     "castvault.database.user", pg.database().user(),
                     "castvault.database.password", pg.database().password(),
                     "castvault.database.connect-timeout", "2s"), false)) {
            TestOrg org = app.newOrg(true);
            // two recordings uploaded at once, each with a client listing beside it
            List<Load> loads = List.of(new Load(org, org.start(org.adminId()), Set.of("DATABASE_UNAVAILABLE")),
                    new Load(org, org.start(org.adminId()), Set.of("DATABASE_UNAVAILABLE")));
            long recoveryMillis;
            try {
                Thread.sleep(1500);
                pg.stopServer();
                Thread.sleep(3000);
                pg.startServer();
                long started = System.nanoTime();
                waitForRecovery(org);
                recoveryMillis = (System.nanoTime() - started) / 1_000_000;
                Thread.sleep(1000);
            } finally {
                for (Load load : loads) {
                    load.stop();
                }
            }
            assertTrue(recoveryMillis < 10_000, "answering again " + recoveryMillis + " ms after PostgreSQL was back");
            // by some client: one whose requests all fell into the 3 s waiting for a connection saw only 200s
            assertTrue(loads.stream().mapToInt(Load::refused).sum() > 0, "the outage was seen: "
                    + loads.stream().map(Load::statuses).toList());
            for (Load load : loads) {
                load.verify("pg_ctl stop/start (back after " + recoveryMillis + " ms)");
            }
        }
    }

    /**
     * A client uploading chunks in order and another listing, until stopped; every answer must be 2xx or a 503
     * with Retry-After and one of {@code retryable}.
     */
    private static final class Load {
        private final TestOrg org;
        private final UUID session;
        private final Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
        private final List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
        private final Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread writer;
        private final Thread reader;

        Load(TestOrg org, UUID session, Set<String> retryable) {
            this.org = org;
            this.session = session;
            writer = Thread.ofPlatform().start(() -> {
                for (int i = 0; running.get(); i++) {
                    TestApp.Response r = org.upload(org.adminId(), session, i, chunk(i));
                    check(r, retryable, wrong);
                    statuses.merge(r.status(), 1, Integer::sum);
                    if (r.status() == 200) {
                        acknowledged.add(i);
                    }
                }
            });
            reader = Thread.ofPlatform().start(() -> {
                while (running.get()) {
                    TestApp.Response r = org.asAdmin(Map.of("action", "list"));
                    check(r, retryable, wrong);
                    statuses.merge(r.status(), 1, Integer::sum);
                }
            });
        }

        /** Answers that were 503: that the outage was seen at all (a request may also ride it out waiting for a connection). */
        int refused() {
            return statuses.getOrDefault(503, 0);
        }

        String statuses() {
            return statuses.toString();
        }

        void stop() throws InterruptedException {
            running.set(false);
            writer.join();
            reader.join();
        }

        /** The answers were right, and after the client retried what was not acknowledged nothing is missing. */
        void verify(String what) {
            assertTrue(wrong.isEmpty(), "answers other than 2xx or 503 with Retry-After: " + wrong);
            assertTrue(acknowledged.size() > 5, "uploads went through between the outages: " + statuses);
            int highest = acknowledged.stream().mapToInt(Integer::intValue).max().orElseThrow();
            Set<Integer> retried = new TreeSet<>();
            for (int i = 0; i <= highest; i++) {
                if (!acknowledged.contains(i)) {
                    TestApp.Response r = org.upload(org.adminId(), session, i, chunk(i));
                    assertEquals(200, r.status(), r.body());
                    retried.add(i);
                }
            }
            assertEquals(200, org.complete(org.adminId(), session).status());
            TestApp.Response got = org.asAdmin(Map.of("action", "get", "session_id", session.toString()));
            assertEquals(highest + 1, got.data().get("recording").get("metadata").get("chunks_received").asInt(),
                    "retried " + retried);
            String cast = org.cast(org.adminId(), session).body();
            for (int i : acknowledged) {
                assertTrue(cast.contains("\"chunk " + i + "\""), "acknowledged chunk " + i + " is in the recording");
            }
            System.out.printf("%s: answers %s, %d acknowledged, %d retried%n", what, statuses, acknowledged.size(),
                    retried.size());
        }

        private static String chunk(int i) {
            return "[" + i + ", \"o\", \"chunk " + i + "\"]";
        }
    }

    private static void check(TestApp.Response r, Set<String> retryable, List<String> wrong) {
        int s = r.status();
        if (s >= 200 && s < 300) {
            return;
        }
        if (s == 503 && r.raw().headers().firstValue("Retry-After").isPresent() && retryable.contains(r.errorCode())) {
            return;
        }
        wrong.add(s + " " + r.body());
    }

    private static void waitForRecovery(TestOrg org) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (org.asAdmin(Map.of("action", "get_settings")).status() == 200) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the service did not recover within 15 s of the database coming back");
    }

    private static void terminateServiceBackends(Connection admin) throws SQLException {
        exec(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND pid <> pg_backend_pid() AND usename = current_user");
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
