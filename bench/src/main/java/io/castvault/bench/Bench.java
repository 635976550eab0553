package io.castvault.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * scripts/bench: every scenario against the running service and, next to it, the raw limit of the same servers.
 * Usage: {@code Bench [--quick] [--only ingest,list,download,agent,retention]}. Exits 1 when a scenario failed
 * (a missing agent route is "not available", not a failure).
 */
public final class Bench {
    interface Scenario {
        Section run(Ctx ctx) throws Exception;
    }

    private static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("ingest", IngestScenario::run);
        SCENARIOS.put("list", ListScenario::run);
        SCENARIOS.put("download", DownloadScenario::run);
        SCENARIOS.put("agent", AgentScenario::run);
        SCENARIOS.put("retention", RetentionScenario::run);
    }

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean scale = false;
        Set<String> only = SCENARIOS.keySet();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--scale" -> scale = true;
                case "--only" -> only = Set.of(args[++i].split(","));
                default -> {
                    System.err.println("usage: scripts/bench [--quick] [--scale] [--only " + String.join(",", SCENARIOS.keySet()) + "]");
                    System.exit(2);
                }
            }
        }
        Map<String, Scenario> scenarios = SCENARIOS;
        if (scale) {
            // the growth run replaces the default scenarios: its table is what it measures
            List<Long> rows = scaleRows(System.getenv("BENCH_SCALE_ROWS"), quick);
            scenarios = Map.of("scale", ctx -> ScaleScenario.run(ctx, rows));
            only = scenarios.keySet();
        }
        BenchConfig cfg = BenchConfig.fromEnv(System.getenv());
        Sizes sizes = quick ? Sizes.QUICK : Sizes.FULL;
        ServiceClient service = new ServiceClient(cfg.serviceUrl());
        boolean failed = false;
        String loadBefore = loadAverage();
        try (Fixtures fixtures = new Fixtures(cfg, service); RawS3 raw = new RawS3(cfg); HeapProbe heap = HeapProbe.connect(cfg.jmxPort())) {
            Ctx ctx = new Ctx(sizes, fixtures, service, raw, heap, new CpuMeter(cfg.servicePid(), cfg.s3Pid(), fixtures));
            List<Section> sections = new ArrayList<>();
            for (Map.Entry<String, Scenario> e : scenarios.entrySet()) {
                if (!only.contains(e.getKey())) {
                    continue;
                }
                long t0 = System.nanoTime();
                System.err.println("[bench] " + e.getKey() + " ...");
                Section s;
                try {
                    s = e.getValue().run(ctx);
                } catch (Exception | AssertionError ex) {
                    ex.printStackTrace();
                    s = Section.failed(e.getKey(), ex);
                }
                failed |= s.status == Section.Status.FAILED;
                System.err.printf("[bench] %s: %s in %d s%n", e.getKey(), s.status, Duration.ofNanos(System.nanoTime() - t0).toSeconds());
                sections.add(s);
            }
            Map<String, Object> machine = machine(cfg, fixtures, heap);
            // other work on the machine moves every figure; the load average says how busy it was
            machine.put("load_average_before", loadBefore);
            machine.put("load_average_after", loadAverage());
            boolean partial = !only.containsAll(SCENARIOS.keySet());
            Report report = new Report(sections, machine, quick ? "quick" : scale ? "scale" : partial ? "partial" : "full",
                    Instant.now());
            System.out.print(report.table());
            // a scale run is recorded next to the full run's results, never in their place
            report.write(scale ? cfg.outDir().resolve("scale") : cfg.outDir(), !quick && (scale || !partial));
        }
        System.exit(failed ? 1 : 0);
    }

    private static Map<String, Object> machine(BenchConfig cfg, Fixtures fixtures, HeapProbe heap) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpu", procLine(Path.of("/proc/cpuinfo"), "model name"));
        m.put("memory", procLine(Path.of("/proc/meminfo"), "MemTotal"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("service_jvm", heap.serviceJvm());
        m.put("service_max_heap", Section.mib(heap.maxHeap()));
        m.put("service_gc", heap.collectorNames());
        m.put("bench_jvm", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
        m.put("s3_server", cfg.s3Server());
        try (Connection c = fixtures.seedingConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 'PostgreSQL ' || current_setting('server_version')")) {
            rs.next();
            m.put("postgresql", rs.getString(1));
        }
        return m;
    }

    /** Total rows at which the scale run measures: BENCH_SCALE_ROWS (e.g. "1000000,10000000") or the defaults. */
    static List<Long> scaleRows(String env, boolean quick) {
        if (env != null && !env.isBlank()) {
            List<Long> rows = new ArrayList<>();
            for (String part : env.split(",")) {
                long n = Long.parseLong(part.trim());
                if (n < ScaleScenario.ORGS * 2L || n > 100_000_000L || !rows.isEmpty() && n <= rows.getLast()) {
                    throw new IllegalArgumentException("BENCH_SCALE_ROWS: ascending totals between "
                            + ScaleScenario.ORGS * 2 + " and 100000000");
                }
                rows.add(n);
            }
            return rows;
        }
        return quick ? List.of(20_000L, 40_000L) : List.of(1_000_000L, 10_000_000L);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static String procLine(Path file, String key) {
        try {
            return Files.readAllLines(file).stream().filter(l -> l.startsWith(key)).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim().replaceAll("\\s+", " ")).orElse("unknown");
        } catch (Exception e) {
            return "unknown";
        }
    }
}
