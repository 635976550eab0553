package io.castvault.api;

import io.castvault.testing.TcpRelay;
import io.castvault.testing.TestPostgres;
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

/**
 * Issue 11: PostgreSQL goes away under load (its backends terminated, the database read-only as after a
 * failover, the server unreachable and back) while a client uploads chunks and another lists. Every answer is
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
            Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
            List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
            Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread writer = Thread.ofPlatform().start(() -> {
                for (int i = 0; running.get(); i++) {
                    TestApp.Response r = org.upload(org.adminId(), session, i, "[" + i + ", \"o\", \"chunk " + i + "\"]");
                    check(r, wrong);
                    statuses.merge(r.status(), 1, Integer::sum);
                    if (r.status() == 200) {
                        acknowledged.add(i);
                    }
                }
            });
            Thread reader = Thread.ofPlatform().start(() -> {
                while (running.get()) {
                    TestApp.Response r = org.asAdmin(Map.of("action", "list"));
                    check(r, wrong);
                    statuses.merge(r.status(), 1, Integer::sum);
                }
            });
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
                running.set(false);
                writer.join();
                reader.join();
            }
            assertTrue(wrong.isEmpty(), "answers other than 2xx or 503 with Retry-After: " + wrong);
            assertTrue(statuses.getOrDefault(503, 0) > 0, "the outages were seen: " + statuses);
            assertTrue(acknowledged.size() > 5, "uploads went through between the outages: " + statuses);
            // the client retries what was not acknowledged; then nothing may be missing
            int highest = acknowledged.stream().mapToInt(Integer::intValue).max().orElseThrow();
            Set<Integer> retried = new TreeSet<>();
            for (int i = 0; i <= highest; i++) {
                if (!acknowledged.contains(i)) {
                    TestApp.Response r = org.upload(org.adminId(), session, i, "[" + i + ", \"o\", \"chunk " + i + "\"]");
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
            System.out.printf("database outage: answers %s, %d acknowledged, %d retried%n", statuses, acknowledged.size(), retried.size());
        }
    }

    private static void check(TestApp.Response r, List<String> wrong) {
        int s = r.status();
        if (s >= 200 && s < 300) {
            return;
        }
        if (s == 503 && r.raw().headers().firstValue("Retry-After").isPresent()
                && Set.of("DATABASE_UNAVAILABLE", "STORAGE_UNAVAILABLE").contains(r.errorCode())) {
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
