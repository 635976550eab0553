package io.castvault.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Scenario 4: agents posting whole transcripts concurrently to {@code POST /api/session-recording-agent}
 * (CONTRACT.md §5); throughput and the service's peak heap. Reports "not available" while the route is missing.
 */
final class AgentScenario {
    static final String ROUTE = "/api/session-recording-agent";

    private AgentScenario() {
    }

    static Section run(Ctx ctx) throws Exception {
        Sizes z = ctx.sizes();
        // one machine per client: eight agents, each reporting one transcript
        Fixtures.Org org = ctx.fixtures().org("bench-agent", z.agentClients(), null);
        ServiceClient.Response probe = ctx.service().post(ROUTE, body(org.nodeKeys().get(0), CastData.file(4096)));
        if (probe.status() == 404 || probe.status() == 405 || probe.status() == 501) {
            return Section.unavailable("agent", "POST " + ROUTE + " answered HTTP " + probe.status());
        }
        if (probe.status() != 201) {
            throw new IllegalStateException("agent ingest probe answered HTTP " + probe.status() + ": " + probe.body());
        }

        Section s = new Section("agent");
        int size = z.agentTranscriptBytes();
        String transcript = CastData.file(size);
        List<byte[]> bodies = new ArrayList<>();
        for (String nodeKey : org.nodeKeys()) {
            bodies.add(body(nodeKey, transcript));
        }
        HeapProbe.Watch watch = ctx.heap().watch();
        long t0 = System.nanoTime();
        send(ctx, bodies);
        double seconds = (System.nanoTime() - t0) / 1e9;
        HeapProbe.Peak heap = watch.stop();
        // the same uploads again, untimed, with full collections forced meanwhile: what stays reachable
        HeapProbe.Watch liveWatch = ctx.heap().liveWatch();
        send(ctx, bodies);
        long live = liveWatch.stop().peakLiveGrowth();
        double mbps = (double) size * z.agentClients() / 1e6 / seconds;
        long goal = 256L << 20;
        s.figure("clients", z.agentClients()).figure("transcript_bytes", size).figure("seconds", seconds)
                .figure("mb_per_s", mbps).figure("transcripts_per_s", z.agentClients() / seconds)
                .figure("heap_baseline_bytes", heap.baseline()).figure("heap_peak_used_growth_bytes", heap.peakUsedGrowth())
                .figure("heap_peak_after_gc_growth_bytes", heap.peakAfterGcGrowth())
                .figure("heap_peak_live_growth_bytes", live);
        s.row("agent ingest MB/s", Section.num(mbps, "MB/s"), "", null, "", null);
        s.row("heap growth used / after GC", Section.mib(heap.peakUsedGrowth()) + " / " + DownloadScenario.mibOrNone(heap.peakAfterGcGrowth()),
                "", null, "peak ≤ 256 MiB", heap.peakUsedGrowth() <= goal);
        // issue 13: what stays reachable while the transcripts stream, against the peak of garbage above
        s.row("heap growth live (forced full GCs)", DownloadScenario.mibOrNone(live), "", null, "≤ 32 MiB",
                live < 0 ? null : live <= 32L << 20);
        return s.note(String.format(java.util.Locale.ROOT, "%d concurrent transcripts of %s", z.agentClients(), Section.mib(size)));
    }

    private static void send(Ctx ctx, List<byte[]> bodies) throws Exception {
        Load.forEach(bodies.size(), IntStream.range(0, bodies.size()).boxed().toList(), i -> {
            ServiceClient.Response r = ctx.service().post(ROUTE, bodies.get(i));
            if (r.status() != 201) {
                throw new IllegalStateException("agent ingest answered HTTP " + r.status() + ": " + r.body());
            }
            return i;
        });
    }

    private static byte[] body(String nodeKey, String transcript) throws Exception {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("transcript", transcript);
        data.put("duration_seconds", 60);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node_key", nodeKey);
        m.put("session_type", "ssh");
        m.put("session_data", data);
        return ServiceClient.JSON.writeValueAsBytes(m);
    }
}
