package io.castvault.bench;

import io.castvault.storage.ObjectKey;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * Scenario 3: the cast download of one large recording made of many chunks, next to one client GETting the same
 * chunk objects one after another straight from the S3 server; and the service's heap while it streams.
 */
final class DownloadScenario {
    private static final int UPLOAD_CLIENTS = 8;
    /** Untimed download + raw GET rounds at most before the timed pass (a fraction of a second each at 100 MiB). */
    private static final int MAX_WARM_ROUNDS = 40;
    /** Untimed seals of a quarter of the size at most before the timed one (a few seconds each at 100 MiB). */
    private static final int MAX_SEAL_WARM_ROUNDS = 10;
    /** Timed seals on each side, taking turns. */
    private static final int SEAL_ROUNDS = 3;

    private DownloadScenario() {
    }

    static Section run(Ctx ctx) throws Exception {
        Section s = new Section("download");
        Sizes z = ctx.sizes();
        Fixtures.Org org = ctx.fixtures().org("bench-download", 1, null);
        int chunkBytes = z.downloadChunkBytes();
        int chunks = (int) (z.downloadBytes() / chunkBytes);
        // untimed seals of a quarter of the size first, on both sides, until the service's JIT has settled: else
        // the timed seal pays for compiling the seal path: with one such seal before it, the service's compiler
        // threads still took 2 of its 4.7 s of CPU in the timed one, with both cores busy
        int warmUpChunks = Math.max(1, chunks / 4);
        UUID[] warmUp = new UUID[1];
        String[] warmUpRaw = new String[1];
        int sealWarmRounds = ctx.cpu().untilJitSettles(MAX_SEAL_WARM_ROUNDS, () -> {
            warmUp[0] = upload(ctx, org, chunkBytes, warmUpChunks);
            warmUpRaw[0] = uploadRaw(ctx, chunkBytes, warmUpChunks);
        }, () -> {
            seal(ctx, org, warmUp[0], warmUpChunks);
            awaitChunkCleanup(ctx, org, warmUp[0]);
            rawSeal(ctx, warmUpRaw[0], chunkBytes, warmUpChunks);
        });
        s.figure("seal_warm_up_rounds", sealWarmRounds);
        // the seals take turns with the raw ones, and each side's time and CPU are summed over its turns: one seal
        // is a second or two, and a single pair moved with whatever else the machine did in those seconds
        double sealSeconds = 0;
        double rawSealSeconds = 0;
        double cleanupSeconds = 0;
        CpuMeter.Sum sealCpuSum = new CpuMeter.Sum();
        CpuMeter.Sum rawSealCpuSum = new CpuMeter.Sum();
        UUID sealed = null;
        for (int round = 0; round < SEAL_ROUNDS; round++) {
            sealed = upload(ctx, org, chunkBytes, chunks);
            // the same chunk objects straight in the S3 server, for the raw side of the seal
            String rawPrefix = uploadRaw(ctx, chunkBytes, chunks);
            // the raw seal before holds its recording in this client's memory twice over: collected now, not while
            // the next seal is timed (the full run of 18:59 found this client at 0.49 s of CPU in a seal of ours)
            System.gc();
            ctx.cpu().awaitJitQuiet();
            var sealCpu0 = ctx.cpu().read();
            long sealStart = System.nanoTime();
            seal(ctx, org, sealed, chunks);
            long sealEnd = System.nanoTime();
            sealCpuSum.add(sealCpu0, ctx.cpu().read());
            sealSeconds += (sealEnd - sealStart) / 1e9;
            // complete answers once the recording is sealed; its chunk objects are deleted afterwards. Reported on
            // its own, and waited for, so that the raw side below does not share the machine with it
            awaitChunkCleanup(ctx, org, sealed);
            cleanupSeconds = Math.max(cleanupSeconds, (System.nanoTime() - sealEnd) / 1e9);
            var rawSealCpu0 = ctx.cpu().read();
            long rawSealStart = System.nanoTime();
            rawSeal(ctx, rawPrefix, chunkBytes, chunks);
            rawSealSeconds += (System.nanoTime() - rawSealStart) / 1e9;
            rawSealCpuSum.add(rawSealCpu0, ctx.cpu().read());
        }
        UUID session = sealed; // the last one sealed is the one downloaded
        sealSeconds /= SEAL_ROUNDS;
        rawSealSeconds /= SEAL_ROUNDS;
        var sealCpu = sealCpuSum.perOp(SEAL_ROUNDS);
        var rawSealCpu = rawSealCpuSum.perOp(SEAL_ROUNDS);
        double sealRatio = rawSealSeconds / sealSeconds;
        s.figure("seal_seconds", sealSeconds).figure("raw_seal_seconds", rawSealSeconds).figure("seal_ratio", sealRatio)
                .figure("seal_rounds", SEAL_ROUNDS).figure("chunk_cleanup_seconds_after_seal", cleanupSeconds);
        s.row("seal of " + Section.mib((long) chunks * chunkBytes) + " (" + chunks + " chunks), mean of " + SEAL_ROUNDS,
                Section.num(sealSeconds, "s"), Section.num(rawSealSeconds, "s"), sealRatio, "≥ 0.8 of raw", sealRatio >= 0.8);
        // both cores are busy through either seal: what each side's processes spend bounds the ratio
        s.figure("seal_cpu_ms", sealCpu).figure("raw_seal_cpu_ms", rawSealCpu);
        s.row("CPU of a seal", CpuMeter.describe(sealCpu), CpuMeter.describe(rawSealCpu), null, "", null);
        s.row("chunk objects deleted after a seal answered, within", Section.num(cleanupSeconds, "s"), "", null, "", null);

        // the warm-up download also checks the content: the default header, then every chunk as uploaded, in order
        java.security.MessageDigest got = java.security.MessageDigest.getInstance("SHA-256");
        ctx.service().downloadCast(org.token(), org.id(), session, got);
        java.security.MessageDigest want = java.security.MessageDigest.getInstance("SHA-256");
        want.update(CastData.HEADER.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (int i = 0; i < chunks; i++) {
            want.update(CastData.events(chunkBytes, i).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        if (!java.util.Arrays.equals(got.digest(), want.digest())) {
            throw new IllegalStateException("the cast download is not the header followed by the uploaded chunks in order");
        }
        // both paths again until the service's JIT has settled: the download's code ran once so far, right after
        // the seal, and the timed pass would otherwise pay for compiling it
        int warmRounds = ctx.cpu().untilJitSettles(MAX_WARM_ROUNDS, () -> {
            ctx.service().downloadCast(org.token(), org.id(), session, null);
            ctx.raw().get(ObjectKey.cast(org.id(), session).value());
        });
        s.figure("warm_up_rounds", warmRounds);
        // this client's own garbage (the raw seals held whole recordings in memory) is collected now, not while it
        // is timed reading: one run measured the client at 0.93 ms per MiB instead of 0.3
        System.gc();
        // the two sides take turns, one download each, and each side's time and CPU are summed over its turns: work
        // the machine does meanwhile for others (a checkpoint of the list scenario's million rows, the kernel
        // writing back the seal's files) then falls on both sides alike, not on whichever ran first
        CpuMeter.Sum oursCpuSum = new CpuMeter.Sum();
        CpuMeter.Sum rawCpuSum = new CpuMeter.Sum();
        long oursBytes = 0;
        long rawBytes = 0;
        long oursNanos = 0;
        long rawNanos = 0;
        for (int r = 0; r < z.downloadRepeats(); r++) {
            var cpu0 = ctx.cpu().read();
            long t0 = System.nanoTime();
            oursBytes += ctx.service().downloadCast(org.token(), org.id(), session, null);
            long t1 = System.nanoTime();
            var cpu1 = ctx.cpu().read();
            // the recording is sealed: its download is one object, and the raw figure is one GET of it
            rawBytes += ctx.raw().get(ObjectKey.cast(org.id(), session).value());
            long t2 = System.nanoTime();
            var cpu2 = ctx.cpu().read();
            oursNanos += t1 - t0;
            rawNanos += t2 - t1;
            oursCpuSum.add(cpu0, cpu1);
            rawCpuSum.add(cpu1, cpu2);
        }
        double oursSeconds = oursNanos / 1e9;
        double rawSeconds = rawNanos / 1e9;
        long expected = (long) z.downloadRepeats() * ((long) chunks * chunkBytes + CastData.HEADER.length());
        if (oursBytes != expected) {
            throw new IllegalStateException("cast download returned " + oursBytes + " bytes, expected " + expected);
        }

        // the heap is watched in untimed passes: its sampling (JMX calls every 10 ms) costs both processes CPU,
        // which on two shared cores would be counted against the download
        HeapProbe.Watch watch = ctx.heap().watch();
        for (int r = 0; r < z.downloadRepeats(); r++) {
            ctx.service().downloadCast(org.token(), org.id(), session, null);
        }
        HeapProbe.Peak heap = watch.stop();
        // and again with full collections forced meanwhile: what stays reachable while streaming
        HeapProbe.Watch liveWatch = ctx.heap().liveWatch();
        for (int r = 0; r < z.downloadRepeats(); r++) {
            ctx.service().downloadCast(org.token(), org.id(), session, null);
        }
        long live = liveWatch.stop().peakLiveGrowth();

        double ours = oursBytes / 1e6 / oursSeconds;
        double raw = rawBytes / 1e6 / rawSeconds;
        double ratio = ours / raw;
        long flat = 32L << 20;
        boolean heapFlat = live >= 0 && live <= flat;
        s.figure("recording_bytes", (long) chunks * chunkBytes).figure("chunks", chunks).figure("repeats", z.downloadRepeats())
                .figure("mb_per_s", ours).figure("raw_mb_per_s", raw).figure("ratio", ratio)
                .figure("heap_baseline_bytes", heap.baseline()).figure("heap_peak_used_growth_bytes", heap.peakUsedGrowth())
                .figure("heap_peak_after_gc_growth_bytes", heap.peakAfterGcGrowth()).figure("heap_peak_live_growth_bytes", live);
        s.row("cast download MB/s", Section.num(ours, "MB/s"), Section.num(raw, "MB/s"), ratio, "≥ 0.9 of raw", ratio >= 0.9);
        var oursCpu = oursCpuSum.perOp(oursBytes / 1048576.0);
        var rawCpu = rawCpuSum.perOp(rawBytes / 1048576.0);
        s.figure("cpu_ms_per_mib", oursCpu).figure("raw_cpu_ms_per_mib", rawCpu);
        s.row("CPU per MiB", CpuMeter.describe(oursCpu), CpuMeter.describe(rawCpu), null, "", null);
        // the compilation still going on in the window is not work per MiB (see CpuMeter); shown, not counted
        double service = oursCpu.get("service") - oursCpu.get(CpuMeter.SERVICE_JIT);
        double cpuRatio = service / rawCpu.get("client");
        s.figure("service_cpu_vs_raw_client", Section.round(cpuRatio))
                .figure("service_cpu_with_jit_vs_raw_client", Section.round(oursCpu.get("service") / rawCpu.get("client")));
        s.row("service CPU per MiB (JIT threads apart) ÷ raw client CPU per MiB",
                Section.num(service, "ms") + " (" + Section.num(oursCpu.get("service"), "ms") + " with JIT)",
                Section.num(rawCpu.get("client"), "ms"), cpuRatio, "≤ 2×", cpuRatio <= 2.0);
        s.row("heap growth used / after GC", Section.mib(heap.peakUsedGrowth()) + " / " + mibOrNone(heap.peakAfterGcGrowth()),
                "", null, "", null);
        s.row("heap growth live (forced full GCs)", mibOrNone(live), "", null, "flat (live ≤ 32 MiB)", live < 0 ? null : heapFlat);
        return s.note(String.format(java.util.Locale.ROOT, "%s in %,d chunks of %d KiB, downloaded %d× by one client, taking turns with the raw GET; "
                        + "raw = one client GETting the sealed object (recording.cast) whole; seals timed after %d untimed ones of a "
                        + "quarter of the size on both sides (until the service's JIT used < 5 %% of its CPU sealing in three in a row, at most %d), "
                        + "then %d of each, taking turns, a fresh upload before each pair; "
                        + "downloads timed after %d untimed rounds of both, until the service's JIT used < 5 %% of its CPU in three in a row (at most %d)", Section.mib((long) chunks * chunkBytes), chunks,
                chunkBytes >> 10, z.downloadRepeats(), sealWarmRounds, MAX_SEAL_WARM_ROUNDS, SEAL_ROUNDS, warmRounds, MAX_WARM_ROUNDS));
    }

    private static UUID upload(Ctx ctx, Fixtures.Org org, int chunkBytes, int chunks) throws Exception {
        UUID session = ctx.fixtures().start(org);
        Load.forEach(UPLOAD_CLIENTS, IntStream.range(0, chunks).boxed().toList(), i -> {
            String quoted = ServiceClient.JSON.writeValueAsString(CastData.events(chunkBytes, i));
            ctx.service().uploadChunk(org.token(), org.id(), session, i, quoted);
            return i;
        });
        return session;
    }

    /** The same chunks straight into the S3 server; returns their prefix. */
    private static String uploadRaw(Ctx ctx, int chunkBytes, int chunks) throws Exception {
        String prefix = "bench-raw/seal/" + UUID.randomUUID() + "/";
        Load.forEach(UPLOAD_CLIENTS, IntStream.range(0, chunks).boxed().toList(), i -> {
            ctx.raw().put(prefix + i, CastData.events(chunkBytes, i).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return i;
        });
        return prefix;
    }

    private static void seal(Ctx ctx, Fixtures.Org org, UUID session, int chunks) throws Exception {
        ctx.service().action(org.token(), Map.of("action", "complete", "org_id", org.id().toString(),
                "session_id", session.toString(), "duration_seconds", chunks)).data();
    }

    /**
     * {@code complete} answers once the recording is sealed; its chunk objects are deleted afterwards. Waited for,
     * so that nothing timed next shares the machine with it.
     */
    private static void awaitChunkCleanup(Ctx ctx, Fixtures.Org org, UUID session) throws Exception {
        String chunkPrefix = ObjectKey.recordingPrefixes(org.id(), session).get(0).value();
        long deadline = System.nanoTime() + 120_000_000_000L;
        // the prefix keeps one object, recording.cast, once the chunk objects are gone
        while (ctx.raw().count(chunkPrefix) > 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the chunk objects of the sealed recording were not deleted within 120 s");
            }
            Thread.sleep(100);
        }
    }

    /** The raw seal: GET every chunk, one after another, then PUT their concatenation as one object. */
    private static void rawSeal(Ctx ctx, String prefix, int chunkBytes, int chunks) throws Exception {
        java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8,
                (long) chunks * chunkBytes + CastData.HEADER.length()));
        whole.writeBytes(CastData.HEADER.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (int i = 0; i < chunks; i++) {
            whole.writeBytes(ctx.raw().getBytes(prefix + i));
        }
        ctx.raw().put(prefix + "recording.cast", whole.toByteArray());
    }

    /** A heap figure of {@link HeapProbe.Peak}, or why there is none (no collection ran while it was watched). */
    static String mibOrNone(long bytes) {
        return bytes < 0 ? "no GC" : Section.mib(bytes);
    }
}
