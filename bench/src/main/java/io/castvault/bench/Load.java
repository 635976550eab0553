package io.castvault.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Closed-loop load: N clients each doing one operation after another for a fixed time, after a warm-up. */
final class Load {
    private Load() {
    }

    interface Op {
        /** One operation of client {@code client}; {@code seq} counts that client's operations from 0. */
        void run(int client, long seq) throws Exception;
    }

    interface Task<T> {
        T call(T item) throws Exception;
    }

    /** {@code operations} inside the measured window; {@code allOperations} with the warm-up's. */
    record Result(long operations, long allOperations, Duration measured, Latencies latencies) {
        double perSecond() {
            return operations / (measured.toNanos() / 1e9);
        }
    }

    static Result run(int clients, Duration warmup, Duration measure, Op op) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            CountDownLatch ready = new CountDownLatch(clients);
            CountDownLatch go = new CountDownLatch(1);
            long[] window = new long[2];
            List<Future<Latencies>> futures = new ArrayList<>();
            java.util.concurrent.atomic.LongAdder all = new java.util.concurrent.atomic.LongAdder();
            for (int c = 0; c < clients; c++) {
                int client = c;
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    Latencies lat = new Latencies();
                    long seq = 0;
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= window[1]) {
                            all.add(seq);
                            return lat;
                        }
                        op.run(client, seq++);
                        if (t0 >= window[0]) {
                            lat.add(System.nanoTime() - t0);
                        }
                    }
                }));
            }
            ready.await();
            long start = System.nanoTime();
            window[0] = start + warmup.toNanos();
            window[1] = window[0] + measure.toNanos();
            go.countDown();
            Latencies merged = new Latencies();
            for (Future<Latencies> f : futures) {
                merged.addAll(f.get());
            }
            // operations that started inside the window; the last ones may end slightly after it
            long end = Math.max(window[1], System.nanoTime());
            return new Result(merged.count(), all.sum(), Duration.ofNanos(end - window[0]), merged);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Runs {@code task} over every item with {@code threads} threads; the first failure is thrown. */
    static <T> void forEach(int threads, List<T> items, Task<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<T>> futures = new ArrayList<>(items.size());
            for (T item : items) {
                futures.add(pool.submit(() -> task.call(item)));
            }
            for (Future<T> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
