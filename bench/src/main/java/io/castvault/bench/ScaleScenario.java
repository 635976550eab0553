package io.castvault.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * {@code scripts/bench --scale} (issue 13; not part of the default run): the table grows to 1 M and then 10 M
 * recordings spread evenly over 1,000 orgs, and at each size the list pages of one of those orgs and the CPU per
 * {@code upload_chunk} are measured again, so the README can say how cost grows with the table. Rows are seeded
 * straight into PostgreSQL, in steps of one million; the stats triggers run for every row, as in production.
 */
final class ScaleScenario {
    static final int ORGS = 1_000;
    private static final int MACHINES = 10;
    private static final int STEP = 1_000_000;
    private static final int LIST_ITERATIONS = 200;

    private ScaleScenario() {
    }

    /** {@code targets}: total rows at which to measure, ascending (1 M and 10 M unless BENCH_SCALE_ROWS says). */
    static Section run(Ctx ctx, List<Long> targets) throws Exception {
        Section s = new Section("scale");
        Fixtures.Org measured = ctx.fixtures().org("bench-scale", MACHINES, null);
        List<UUID> orgs = fillerOrgs(ctx.fixtures(), measured);
        long rows = 0;
        long seedNanos = 0;
        for (long target : targets) {
            long t0 = System.nanoTime();
            while (rows < target) {
                int n = (int) Math.min(STEP, target - rows);
                seed(ctx.fixtures(), orgs, measured, rows, n);
                rows += n;
                System.err.printf(Locale.ROOT, "[bench] scale: %,d rows%n", rows);
            }
            vacuum(ctx.fixtures());
            seedNanos += System.nanoTime() - t0;
            String at = target >= 1_000_000 ? (target / 1_000_000) + " M" : String.format(Locale.ROOT, "%,d", target);
            long perOrg = target / ORGS;
            long depth = Math.min(100_000, perOrg / 2);
            listFigures(ctx, s, measured, at, depth);
            Map<String, Double> cpu = uploadCpu(ctx, measured);
            String key = "rows_" + target + "_";
            s.figure(key + "upload_chunk_service_cpu_ms", cpu.get("service"))
                    .figure(key + "upload_chunk_postgres_cpu_ms", cpu.get("postgres"));
            s.row("at " + at + ": upload_chunk 4 KiB CPU per op", CpuMeter.describe(cpu), "", null, "", null);
        }
        return s.note(String.format(Locale.ROOT, "recordings spread evenly over %,d orgs (the measured org holds 1/%d of "
                + "them over %d machines, 2%% active); list: one client, sequential, %d requests per page kind; "
                + "upload_chunk: %d clients, 4 KiB chunks; seeding and VACUUM ANALYZE took %.0f s",
                ORGS, ORGS, MACHINES, LIST_ITERATIONS, ctx.sizes().ingestClients(), seedNanos / 1e9));
    }

    private static void listFigures(Ctx ctx, Section s, Fixtures.Org org, String at, long depth) throws Exception {
        Map<String, Map<String, Object>> queries = new LinkedHashMap<>();
        queries.put("first page", request(org, Map.of("limit", 20)));
        queries.put("filtered page", request(org, Map.of("limit", 20,
                "machine_id", org.machines().get(3).toString(), "status", "completed")));
        JsonNode before = ctx.service().action(org.token(), request(org, Map.of("limit", 1, "offset", depth - 1))).data();
        queries.put(String.format(Locale.ROOT, "cursor page at depth %,d", depth),
                request(org, Map.of("limit", 20, "cursor", before.get("cursor").asText())));
        for (Map.Entry<String, Map<String, Object>> q : queries.entrySet()) {
            byte[] body = ServiceClient.JSON.writeValueAsBytes(q.getValue());
            for (int i = 0; i < LIST_ITERATIONS / 10; i++) {
                ctx.service().action(org.token(), body).data();
            }
            Latencies lat = new Latencies();
            for (int i = 0; i < LIST_ITERATIONS; i++) {
                long t0 = System.nanoTime();
                ctx.service().action(org.token(), body).data();
                lat.add(System.nanoTime() - t0);
            }
            double p95 = lat.percentileMillis(95);
            String key = ("rows_at_" + at + "_" + q.getKey()).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
            s.figure(key + "_p95_ms", p95);
            s.row("at " + at + ": list " + q.getKey() + " p95", Section.num(p95, "ms"), "", null, "≤ 10 ms", p95 <= 10.0);
        }
    }

    private static Map<String, Double> uploadCpu(Ctx ctx, Fixtures.Org org) throws Exception {
        Sizes z = ctx.sizes();
        String quoted = ServiceClient.JSON.writeValueAsString(CastData.events(4 << 10, 0));
        List<UUID> sessions = new ArrayList<>();
        for (int c = 0; c < z.ingestClients(); c++) {
            sessions.add(ctx.fixtures().start(org));
        }
        var cpu0 = ctx.cpu().read();
        Load.Result r = Load.run(z.ingestClients(), z.warmup(), z.ingestRun(),
                (c, seq) -> ctx.service().uploadChunk(org.token(), org.id(), sessions.get(c), seq, quoted));
        return CpuMeter.perOp(cpu0, ctx.cpu().read(), r.allOperations());
    }

    private static Map<String, Object> request(Fixtures.Org org, Map<String, Object> extra) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("action", "list");
        m.put("org_id", org.id().toString());
        m.putAll(extra);
        return m;
    }

    /** The measured org first, then ORGS - 1 orgs that exist only in the database (nobody calls the service for them). */
    private static List<UUID> fillerOrgs(Fixtures fx, Fixtures.Org measured) throws Exception {
        List<UUID> orgs = new ArrayList<>();
        orgs.add(measured.id());
        try (Connection c = fx.seedingConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO orgs (id, name) VALUES (?, ?)")) {
            for (int i = 1; i < ORGS; i++) {
                UUID id = UUID.randomUUID();
                ps.setObject(1, id);
                ps.setString(2, "bench-scale-filler-" + i);
                ps.addBatch();
                orgs.add(id);
            }
            ps.executeBatch();
        }
        return orgs;
    }

    /**
     * {@code n} rows numbered from {@code from}: row i belongs to org i % ORGS; the measured org's rows are on its
     * machines, the others on none. One INSERT ... SELECT, so the rows never cross the wire.
     */
    private static void seed(Fixtures fx, List<UUID> orgs, Fixtures.Org measured, long from, int n) throws Exception {
        try (Connection c = fx.seedingConnection(); PreparedStatement ps = c.prepareStatement("""
                INSERT INTO session_recordings (id, org_id, machine_id, user_id, session_type, status, started_at,
                                                ended_at, duration_seconds, metadata)
                SELECT gen_random_uuid(), (?::uuid[])[1 + i % ?],
                       CASE WHEN i % ? = 0 THEN (?::uuid[])[1 + (i / ?) % ?] END, ?, 'ssh',
                       CASE WHEN i % 50 = 0 THEN 'active' ELSE 'completed' END,
                       now() - make_interval(secs => i * 0.5),
                       CASE WHEN i % 50 = 0 THEN NULL ELSE now() - make_interval(secs => i * 0.5 - 60) END,
                       CASE WHEN i % 50 = 0 THEN NULL ELSE (i % 3600)::float8 END,
                       '{}'
                FROM generate_series(?::bigint, ?::bigint) AS i""")) {
            ps.setArray(1, c.createArrayOf("uuid", orgs.toArray()));
            ps.setInt(2, orgs.size());
            ps.setInt(3, orgs.size());
            ps.setArray(4, c.createArrayOf("uuid", measured.machines().toArray()));
            ps.setInt(5, orgs.size());
            ps.setInt(6, measured.machines().size());
            ps.setObject(7, measured.admin());
            ps.setLong(8, from + 1);
            ps.setLong(9, from + n);
            ps.executeUpdate();
        }
    }

    private static void vacuum(Fixtures fx) throws Exception {
        try (Connection c = fx.seedingConnection(); Statement st = c.createStatement()) {
            st.execute("VACUUM ANALYZE session_recordings");
        }
    }
}
