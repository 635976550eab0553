package io.castvault.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the machine's disks did in a timed window, from /proc/diskstats (summed over the whole disks, loop and RAM
 * devices left out): when PostgreSQL and the S3 server's files share one disk, a scenario that writes both tiers at
 * once can be bound by it rather than by any process's CPU, and only these counters show that.
 */
final class DiskMeter {
    /** Counters at one moment, and when they were read. */
    record Reading(long nanos, long writes, long sectorsWritten, long busyMs, long weightedMs, long flushes) {
    }

    private final List<String> disks;

    DiskMeter() {
        List<String> found;
        try (Stream<Path> blocks = Files.list(Path.of("/sys/block"))) {
            found = blocks.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("loop") && !n.startsWith("ram") && !n.startsWith("zram")).sorted().toList();
        } catch (IOException | RuntimeException notLinux) {
            found = List.of();
        }
        this.disks = found;
    }

    /**
     * Writes back every dirty page the machine holds ({@code sync}), untimed: what the work before a timed window
     * left in the page cache (200,000 objects put) is otherwise written inside it, by however much the kernel
     * chose to flush then, and falls on whichever side comes first.
     */
    static void settle() throws IOException, InterruptedException {
        Process sync = new ProcessBuilder("sync").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (sync.waitFor() != 0) {
            throw new IOException("sync exited with " + sync.exitValue());
        }
    }

    String disks() {
        return String.join(", ", disks);
    }

    Reading read() {
        long writes = 0;
        long sectors = 0;
        long busy = 0;
        long weighted = 0;
        long flushes = 0;
        try {
            // Files.readString reads procfs files short (their size is reported as 0); lines read them whole
            for (String line : Files.readAllLines(Path.of("/proc/diskstats"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 14 || !disks.contains(f[2])) {
                    continue;
                }
                writes += Long.parseLong(f[7]);
                sectors += Long.parseLong(f[9]);
                busy += Long.parseLong(f[12]);
                weighted += Long.parseLong(f[13]);
                flushes += f.length >= 19 ? Long.parseLong(f[18]) : 0;
            }
        } catch (IOException | RuntimeException notLinux) {
            // no figures: the rows show zeros
        }
        return new Reading(System.nanoTime(), writes, sectors, busy, weighted, flushes);
    }

    /** The window between two readings: the disks' busy share and queue, and what was written per {@code per} ops. */
    static Map<String, Double> window(Reading a, Reading b, double per) {
        double wallMs = (b.nanos() - a.nanos()) / 1e6;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("busy_share", Section.round(wallMs <= 0 ? 0 : (b.busyMs() - a.busyMs()) / wallMs));
        m.put("mean_queue", Section.round(wallMs <= 0 ? 0 : (b.weightedMs() - a.weightedMs()) / wallMs));
        m.put("writes", Section.round((b.writes() - a.writes()) / per));
        m.put("mib_written", Section.round((b.sectorsWritten() - a.sectorsWritten()) * 512.0 / 1048576 / per));
        m.put("flushes", Section.round((b.flushes() - a.flushes()) / per));
        return m;
    }

    static String describe(Map<String, Double> w) {
        return String.format(java.util.Locale.ROOT, "busy %.0f %% (mean queue %.1f); per 1,000: %.0f writes, %.1f MiB, %.0f flushes",
                100 * w.get("busy_share"), w.get("mean_queue"), w.get("writes"), w.get("mib_written"), w.get("flushes"));
    }
}
