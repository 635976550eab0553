package io.castvault.bench;

import io.castvault.storage.ObjectKey;
import org.postgresql.PGConnection;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Scenario 5: the retention sweep ({@code cleanup}) of many expired sealed recordings, next to raw DeleteObjects of
 * exactly the keys the sweep deletes (each recording's {@code recording.cast} and summary), in the same state: the
 * objects are put, deleted raw (timed), put again, and then swept (timed).
 */
final class RetentionScenario {
    private static final int PUT_CLIENTS = 16;
    /** The service's sweep has this many DeleteObjects in the store at once (Deletion.STORE_CALLS); raw deletes too. */
    private static final int SWEEP_WORKERS = 2;
    private static final byte[] CAST = CastData.events(1024, 0).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] SUMMARY = "{\"recording_sha256\":\"0\"}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private RetentionScenario() {
    }

    static Section run(Ctx ctx) throws Exception {
        Section s = new Section("retention");
        int n = ctx.sizes().sweepRecordings();
        // the same, untimed, first: the sweep is one call, and its code would otherwise be compiled while it is
        // timed (the service's JIT threads took 39 of its 64 ms per 1,000 recordings cold, 22 of 58 after a sweep
        // of a tenth of the size, 11 of 32 after one of the same size)
        int warmUp = n;
        DiskMeter disk = new DiskMeter();
        sweep(ctx, disk, ctx.fixtures().org("bench-retention-warm-up", 1, 30), warmUp);
        Fixtures.Org org = ctx.fixtures().org("bench-retention", 1, 30);
        Sweep measured = sweep(ctx, disk, org, n);
        double ours = n / measured.sweepSeconds();
        double raw = n / measured.rawSeconds();
        double ratio = ours / raw;
        s.figure("recordings", n).figure("keys_deleted", measured.keys()).figure("sweep_seconds", measured.sweepSeconds())
                .figure("raw_delete_seconds", measured.rawSeconds()).figure("recordings_per_s", ours)
                .figure("raw_recordings_per_s", raw).figure("raw_keys_per_s", measured.keys() / measured.rawSeconds())
                .figure("ratio", ratio).figure("warm_up_recordings", warmUp);
        s.figure("cpu_ms_per_1000_recordings", measured.oursCpu()).figure("raw_cpu_ms_per_1000_recordings", measured.rawCpu());
        s.row("CPU per 1,000 recordings", CpuMeter.describe(measured.oursCpu()), CpuMeter.describe(measured.rawCpu()), null, "", null);
        // PostgreSQL's files and the S3 server's share the disk here: how busy it was says whether it bound the sweep
        s.figure("disk", measured.oursDisk()).figure("raw_disk", measured.rawDisk());
        s.row("disk (" + disk.disks() + ")", DiskMeter.describe(measured.oursDisk()),
                DiskMeter.describe(measured.rawDisk()), null, "", null);
        s.figure("wal_per_1000_recordings", measured.oursWal());
        s.row("PostgreSQL WAL per 1,000 recordings", WalMeter.describe(measured.oursWal()), "", null, "", null);
        s.row("sweep recordings/s", Section.num(ours, "/s"), Section.num(raw, "/s"), ratio, "≥ 0.8 of raw", ratio >= 0.8);
        return s.note(String.format(java.util.Locale.ROOT, "%,d expired sealed recordings (recording.cast and summary), removed by "
                + "the cleanup action; raw = DeleteObjects of the same %,d keys, 1,000 per request, " + SWEEP_WORKERS
                + " requests at a time like the sweep's batches; the disks synced before each side; after the same, untimed, with %,d recordings", n, measured.keys(), warmUp));
    }

    private record Sweep(int keys, double rawSeconds, double sweepSeconds, Map<String, Double> rawCpu,
                         Map<String, Double> oursCpu, Map<String, Double> rawDisk, Map<String, Double> oursDisk,
                         Map<String, Double> oursWal) {
    }

    /** {@code n} expired recordings of {@code org}: their keys deleted raw, put again, then swept by cleanup. */
    private static Sweep sweep(Ctx ctx, DiskMeter disk, Fixtures.Org org, int n) throws Exception {
        List<UUID> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(UUID.randomUUID());
        }
        seedRows(ctx.fixtures(), org, ids);
        List<String> sweptKeys = new ArrayList<>(2 * n);
        for (UUID id : ids) {
            sweptKeys.add(ObjectKey.cast(org.id(), id).value());
            sweptKeys.add(ObjectKey.summary(org.id(), id).value());
        }

        putAll(ctx, sweptKeys);
        DiskMeter.settle();
        var cpu0 = ctx.cpu().read();
        var disk0 = disk.read();
        long t0 = System.nanoTime();
        ctx.raw().delete(sweptKeys, SWEEP_WORKERS);
        double rawSeconds = (System.nanoTime() - t0) / 1e9;
        var rawDisk = DiskMeter.window(disk0, disk.read(), n / 1000.0);
        var rawCpu = CpuMeter.perOp(cpu0, ctx.cpu().read(), n / 1000.0);
        putAll(ctx, sweptKeys);
        DiskMeter.settle();

        var cpu1 = ctx.cpu().read();
        var disk1 = disk.read();
        var wal1 = WalMeter.read(ctx.fixtures());
        t0 = System.nanoTime();
        int deleted = ctx.service().action(org.token(), Map.of("action", "cleanup", "org_id", org.id().toString()))
                .data().get("deleted").asInt();
        double sweepSeconds = (System.nanoTime() - t0) / 1e9;
        var oursDisk = DiskMeter.window(disk1, disk.read(), n / 1000.0);
        var oursWal = WalMeter.window(wal1, WalMeter.read(ctx.fixtures()), n / 1000.0);
        var oursCpu = CpuMeter.perOp(cpu1, ctx.cpu().read(), n / 1000.0);
        if (deleted != n) {
            throw new IllegalStateException("cleanup deleted " + deleted + " recordings, expected " + n);
        }
        long left = 0;
        for (ObjectKey.Prefix prefix : ObjectKey.orgPrefixes(org.id())) {
            left += ctx.raw().count(prefix.value());
        }
        if (left != 0) {
            throw new IllegalStateException(left + " objects left after the sweep");
        }

        return new Sweep(sweptKeys.size(), rawSeconds, sweepSeconds, rawCpu, oursCpu, rawDisk, oursDisk, oursWal);
    }

    private static void putAll(Ctx ctx, List<String> keys) throws Exception {
        Load.forEach(PUT_CLIENTS, keys, k -> {
            ctx.raw().put(k, k.endsWith(".json") ? SUMMARY : CAST);
            return k;
        });
    }

    /** COPY the ids into a temporary table (no RLS there), then expand them into sealed recordings. */
    private static void seedRows(Fixtures fx, Fixtures.Org org, List<UUID> ids) throws Exception {
        StringBuilder csv = new StringBuilder(ids.size() * 120);
        ids.forEach(id -> csv.append(id).append(',').append(ObjectKey.summary(org.id(), id).value()).append('\n'));
        try (Connection c = fx.seedingConnection()) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE bench_ids (id uuid PRIMARY KEY, summary_key text NOT NULL)");
            }
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY bench_ids FROM STDIN (FORMAT csv)", new StringReader(csv.toString()));
            // sealed as the seal leaves them: recording.cast and the summary in the store, the chunk rows and
            // objects gone
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO session_recordings (id, org_id, machine_id, user_id, session_type, status, started_at,
                                                    ended_at, duration_seconds, r2_key, sealed, chunks_cleared)
                    SELECT id, ?, ?, ?, 'ssh', 'completed', now() - interval '200 days',
                           now() - interval '200 days' + interval '1 minute', 60, summary_key, true, true
                    FROM bench_ids""")) {
                ps.setObject(1, org.id());
                ps.setObject(2, org.machines().get(0));
                ps.setObject(3, org.admin());
                ps.executeUpdate();
            }
            try (Statement st = c.createStatement()) {
                st.execute("ANALYZE session_recordings");
            }
        }
    }
}
