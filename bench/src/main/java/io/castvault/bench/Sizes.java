package io.castvault.bench;

import java.time.Duration;

/** How big each scenario is: the full benchmark, or the smoke run that keeps it from rotting. */
record Sizes(Duration warmup, Duration ingestRun, int ingestClients, int listRows, int listIterations,
             int listDeepOffset, long downloadBytes, int downloadChunkBytes, int downloadRepeats, int agentClients,
             int agentTranscriptBytes, int sweepRecordings) {

    static final Sizes FULL = new Sizes(Duration.ofSeconds(3), Duration.ofSeconds(15), 16, 1_000_000, 600,
            100_000, 100L << 20, 64 << 10, 24, 8, 32 << 20, 100_000);

    static final Sizes QUICK = new Sizes(Duration.ofMillis(300), Duration.ofMillis(1500), 16, 2_000, 20,
            1_000, 2L << 20, 64 << 10, 1, 8, 256 << 10, 500);
}
