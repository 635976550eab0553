package io.castvault.recording;

import io.castvault.db.Database;
import io.castvault.db.TestSql;

import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Holds a row lock in a transaction of its own, so a test can put something in the middle of a statement. */
final class RowLocks {
    private RowLocks() {
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * Locks the one row {@code lockingSelect} selects (in {@code orgId}), starts {@code blocked} and waits until a
     * statement of this database waits on a lock, runs {@code meanwhile}, then lets the lock go; returns what
     * {@code blocked} started.
     */
    static <T> Future<T> whileLocked(Database db, UUID orgId, String lockingSelect, Object[] bindings,
                                     Supplier<Future<T>> blocked, ThrowingRunnable meanwhile) throws Exception {
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (ExecutorService holder = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> holding = holder.submit(() -> db.inOrg(orgId, tx -> {
                assertEquals(1, TestSql.rows(tx, lockingSelect, bindings).size());
                locked.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }));
            assertTrue(locked.await(10, TimeUnit.SECONDS));
            Future<T> result = blocked.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (db.inOrg(orgId, tx -> TestSql.count(tx, "SELECT count(*) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND wait_event_type = 'Lock'")) == 0) {
                assertTrue(System.nanoTime() < deadline, "the statement never waited on the lock");
                Thread.sleep(10);
            }
            try {
                meanwhile.run();
            } finally {
                release.countDown();
                holding.get(10, TimeUnit.SECONDS);
            }
            return result;
        }
    }
}
