package io.castvault.bench;

import com.sun.management.GarbageCollectorMXBean;
import com.sun.management.GcInfo;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.lang.management.RuntimeMXBean;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The service's heap, read over JMX while a scenario runs, as growth over a baseline taken after a full GC. "Used"
 * includes garbage not yet collected, so three figures: the peak of heap used (an upper bound on what the scenario
 * needed); the peak just after any collection the JVM ran on its own (a young collection leaves the garbage already
 * promoted to the old generation in place, so this still counts dead objects, more or fewer depending on how G1 has
 * adapted its tenuring); and, in a {@link #liveWatch() live watch}, the peak just after full collections forced
 * every {@value #LIVE_SAMPLE_MILLIS} ms while the work runs: only reachable objects survive those, so that is the
 * live set at each of those moments. Forced collections slow the work, so a live watch is for a pass that is not
 * timed.
 */
final class HeapProbe implements AutoCloseable {
    private static final long SAMPLE_MILLIS = 10;
    static final long LIVE_SAMPLE_MILLIS = 200;

    private final JMXConnector connector;
    private final MemoryMXBean memory;
    private final List<GarbageCollectorMXBean> collectors;
    private final Set<String> heapPools;
    private final RuntimeMXBean runtime;

    private HeapProbe(JMXConnector connector) throws IOException {
        this.connector = connector;
        MBeanServerConnection c = connector.getMBeanServerConnection();
        this.memory = ManagementFactory.newPlatformMXBeanProxy(c, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
        this.runtime = ManagementFactory.newPlatformMXBeanProxy(c, ManagementFactory.RUNTIME_MXBEAN_NAME, RuntimeMXBean.class);
        this.collectors = ManagementFactory.getPlatformMXBeans(c, GarbageCollectorMXBean.class);
        this.heapPools = ManagementFactory.getPlatformMXBeans(c, MemoryPoolMXBean.class).stream()
                .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
    }

    static HeapProbe connect(int port) throws IOException {
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
        return new HeapProbe(JMXConnectorFactory.connect(url));
    }

    String serviceJvm() {
        return runtime.getVmVendor() + " " + runtime.getVmName() + " " + runtime.getVmVersion();
    }

    long maxHeap() {
        return memory.getHeapMemoryUsage().getMax();
    }

    String collectorNames() {
        return collectors.stream().map(GarbageCollectorMXBean::getName).collect(Collectors.joining(", "));
    }

    /**
     * Growth over the baseline, in bytes; {@code peakAfterGcGrowth} is -1 when no collection ran meanwhile,
     * {@code peakLiveGrowth} -1 unless this was a {@link #liveWatch() live watch}.
     */
    record Peak(long baseline, long peakUsedGrowth, long peakAfterGcGrowth, long peakLiveGrowth) {
    }

    /** Starts watching: a full GC, the baseline, then sampling until {@link Watch#stop()}. */
    Watch watch() throws InterruptedException {
        return start(false);
    }

    /** As {@link #watch()}, and also forcing a full collection every {@value #LIVE_SAMPLE_MILLIS} ms. */
    Watch liveWatch() throws InterruptedException {
        return start(true);
    }

    private Watch start(boolean forceCollections) throws InterruptedException {
        memory.gc();
        Thread.sleep(200);
        return new Watch(memory.getHeapMemoryUsage().getUsed(), runtime.getUptime(), forceCollections);
    }

    final class Watch {
        private final long baseline;
        private final long since;
        private final boolean forceCollections;
        private volatile boolean running = true;
        private volatile long peakUsed;
        private volatile long peakAfterGc = -1;
        private volatile long peakLive = -1;
        private final Thread sampler;

        private Watch(long baseline, long since, boolean forceCollections) {
            this.baseline = baseline;
            this.since = since;
            this.forceCollections = forceCollections;
            this.peakUsed = baseline;
            this.sampler = Thread.ofPlatform().daemon().name("heap-probe").start(this::sample);
        }

        private void sample() {
            long nextForced = System.nanoTime() + LIVE_SAMPLE_MILLIS * 1_000_000;
            while (running) {
                try {
                    peakUsed = Math.max(peakUsed, memory.getHeapMemoryUsage().getUsed());
                    if (forceCollections && System.nanoTime() >= nextForced) {
                        memory.gc(); // returns once the full collection is done (System.gc() in the service)
                        if (running) { // the work may have ended during the collection: then it measured nothing
                            peakLive = Math.max(peakLive, memory.getHeapMemoryUsage().getUsed());
                        }
                        nextForced = System.nanoTime() + LIVE_SAMPLE_MILLIS * 1_000_000;
                    }
                    for (GarbageCollectorMXBean gc : collectors) {
                        GcInfo info = gc.getLastGcInfo();
                        if (info != null && info.getStartTime() >= since) {
                            long live = info.getMemoryUsageAfterGc().entrySet().stream()
                                    .filter(e -> heapPools.contains(e.getKey()))
                                    .map(java.util.Map.Entry::getValue).mapToLong(MemoryUsage::getUsed).sum();
                            peakAfterGc = Math.max(peakAfterGc, live);
                        }
                    }
                    Thread.sleep(SAMPLE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // one failed sample (e.g. a JMX hiccup) is skipped, not fatal
                }
            }
        }

        Peak stop() throws InterruptedException {
            running = false;
            sampler.interrupt();
            sampler.join();
            peakUsed = Math.max(peakUsed, memory.getHeapMemoryUsage().getUsed());
            return new Peak(baseline, peakUsed - baseline, growth(peakAfterGc), growth(peakLive));
        }

        private long growth(long peak) {
            return peak < 0 ? -1 : Math.max(0, peak - baseline);
        }
    }

    @Override
    public void close() throws IOException {
        connector.close();
    }
}
