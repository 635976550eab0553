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
 * says whose.
 */
final class CpuMeter {
    /** USER_HZ; 100 on every Linux this runs on. */
    private static final double MS_PER_TICK = 10.0;

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
        return m;
    }

    /** Per-operation CPU between two readings, in ms, by party. */
    static Map<String, Double> perOp(Map<String, Double> before, Map<String, Double> after, double operations) {
        Map<String, Double> m = new LinkedHashMap<>();
        after.forEach((k, v) -> m.put(k, Section.round((v - before.get(k)) / operations)));
        return m;
    }

    static String describe(Map<String, Double> perOp) {
        List<String> parts = new ArrayList<>();
        double total = 0;
        for (Map.Entry<String, Double> e : perOp.entrySet()) {
            if (e.getValue() >= 0.005) {
                parts.add(e.getKey() + " " + String.format(java.util.Locale.ROOT, "%.2f", e.getValue()));
                total += e.getValue();
            }
        }
        return String.format(java.util.Locale.ROOT, "%.2f ms (%s)", total, String.join(" + ", parts));
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
