package io.castvault.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time used by each party (the service, the S3 server, the benchmark database's PostgreSQL backends, this
 * client), from /proc. On a machine where all of them share two cores, throughput is CPU per operation, and this
 * says whose. {@value #SERVICE_JIT} is the part of the service's time its JIT compiler threads used: included in
 * the service's figure, reported apart so a measurement taken before the JIT settled shows as such.
 */
final class CpuMeter {
    /** USER_HZ; 100 on every Linux this runs on. */
    private static final double MS_PER_TICK = 10.0;
    static final String SERVICE_JIT = "service_jit";
    private static final int QUIET_ROUNDS = 3;

    private final long servicePid;
    private final long s3Pid;
    private final Fixtures fixtures;

    CpuMeter(long servicePid, long s3Pid, Fixtures fixtures) {
        this.servicePid = servicePid;
        this.s3Pid = s3Pid;
        this.fixtures = fixtures;
    }

    /** Milliseconds of CPU used so far by each party. */
    Map<String, Double> read() throws Exception {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("service", ms(servicePid));
        m.put("s3", ms(s3Pid));
        double pg = 0;
        for (long pid : backendPids()) {
            pg += ms(pid);
        }
        m.put("postgres", pg);
        m.put("client", ms(ProcessHandle.current().pid()));
        m.put(SERVICE_JIT, jitMs(servicePid));
        return m;
    }

    /**
     * Runs {@code round} (untimed) until the service's JIT compiler threads used less than 5 % of its CPU in
     * {@value #QUIET_ROUNDS} rounds in a row (compilations come in bursts; one quiet round says little), at most
     * {@code maxRounds} times: a scenario timed right after another, or after a single warm-up pass, otherwise
     * counts the compilation of the code it exercises (half of the service's CPU per MiB of a download timed right
     * after the seal). Returns the rounds it took.
     */
    int untilJitSettles(int maxRounds, Round round) throws Exception {
        return untilJitSettles(maxRounds, () -> { }, round);
    }

    /**
     * As {@link #untilJitSettles(int, Round)}, each round after {@code prepare}, whose CPU is not looked at, and
     * after the compilations it queued have run (see {@link #awaitJitQuiet()}).
     */
    int untilJitSettles(int maxRounds, Round prepare, Round round) throws Exception {
        int quiet = 0;
        for (int r = 1; ; r++) {
            prepare.run();
            awaitJitQuiet();
            Map<String, Double> before = read();
            round.run();
            Map<String, Double> after = read();
            double service = after.get("service") - before.get("service");
            double jit = after.get(SERVICE_JIT) - before.get(SERVICE_JIT);
            quiet = jit < 0.05 * service ? quiet + 1 : 0;
            if (quiet == QUIET_ROUNDS || r >= maxRounds) {
                return r;
            }
        }
    }

    /**
     * Waits (at most 30 s) until the service's compiler threads use less than 5 % of a core over a quarter of a
     * second: the compilations queued by untimed work (an upload of 1,600 chunks) otherwise run in the timed
     * window right after it (1.3-1.6 s of the service's 3.3 s of CPU in a 100 MiB seal timed right after its
     * upload, after ten warm-up rounds).
     */
    void awaitJitQuiet() throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        double before = jitMs(servicePid);
        while (System.nanoTime() < deadline) {
            Thread.sleep(250);
            double now = jitMs(servicePid);
            if (now - before < 0.05 * 250) {
                return;
            }
            before = now;
        }
    }

    /** One untimed round of a scenario's work. */
    interface Round {
        void run() throws Exception;
    }

    /** Per-operation CPU between two readings, in ms, by party. */
    static Map<String, Double> perOp(Map<String, Double> before, Map<String, Double> after, double operations) {
        Sum window = new Sum();
        window.add(before, after);
        return window.perOp(operations);
    }

    /** CPU summed over several timed windows of the same side, by party. */
    static final class Sum {
        private final Map<String, Double> ms = new LinkedHashMap<>();

        void add(Map<String, Double> before, Map<String, Double> after) {
            after.forEach((k, v) -> ms.merge(k, v - before.get(k), Double::sum));
        }

        Map<String, Double> perOp(double operations) {
            Map<String, Double> m = new LinkedHashMap<>();
            ms.forEach((k, v) -> m.put(k, Section.round(v / operations)));
            return m;
        }
    }

    static String describe(Map<String, Double> perOp) {
        List<String> parts = new ArrayList<>();
        double total = 0;
        for (Map.Entry<String, Double> e : perOp.entrySet()) {
            if (e.getKey().equals(SERVICE_JIT)) {
                continue; // part of the service's figure
            }
            if (e.getValue() >= 0.005) {
                parts.add(e.getKey() + " " + String.format(java.util.Locale.ROOT, "%.2f", e.getValue()));
                total += e.getValue();
            }
        }
        String jit = perOp.getOrDefault(SERVICE_JIT, 0.0) >= 0.005
                ? String.format(java.util.Locale.ROOT, "; service JIT %.2f of it", perOp.get(SERVICE_JIT)) : "";
        return String.format(java.util.Locale.ROOT, "%.2f ms (%s%s)", total, String.join(" + ", parts), jit);
    }

    private List<Long> backendPids() throws Exception {
        List<Long> pids = new ArrayList<>();
        try (Connection c = fixtures.seedingConnection();
             PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_stat_activity WHERE datname = current_database()");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                pids.add(rs.getLong(1));
            }
        }
        return pids;
    }

    /** CPU of the JIT compiler threads ("C1 CompilerThre", "C2 CompilerThre" in /proc) of a JVM. */
    private static double jitMs(long pid) {
        double total = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (Exception gone) {
                    continue; // a thread that ended meanwhile
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.contains("CompilerThre")) {
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    total += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * MS_PER_TICK;
                }
            }
        } catch (Exception gone) {
            return 0;
        }
        return total;
    }

    private static double ms(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after the command: state is field 3 (index 0 here), utime 14 (index 11), stime 15 (index 12)
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * MS_PER_TICK;
        } catch (Exception gone) {
            return 0; // a backend that ended meanwhile
        }
    }
}
