package io.castvault.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A free loopback port for a server that binds it later, usually in another process. It is drawn from outside the
 * kernel's ephemeral range: a port {@code new ServerSocket(0)} returns comes from that range, and between our probe
 * and the child's bind an outgoing connection (the child's own, to PostgreSQL or S3) can be given it, so the bind
 * fails with "Address already in use" (seen in CI, 2026-11-26).
 */
public final class FreePort {
    private static final int LOWEST = 10_000;
    private static final int HIGHEST = 65_535;
    private static final int ATTEMPTS = 200;
    /** Never handed out twice by one JVM: two picks in a row (a service's port and its management port) may both be free. */
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    private FreePort() {
    }

    public static int pick() {
        int[] band = band(ephemeralRange());
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(band[0], band[1] + 1);
            if (free(port) && GIVEN.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port in " + band[0] + "-" + band[1] + " after " + ATTEMPTS + " tries");
    }

    /** The ports to draw from: below the ephemeral range when it leaves room there, else above it. */
    static int[] band(int[] ephemeral) {
        if (ephemeral[0] - 1 - LOWEST >= 1_000) {
            return new int[] {LOWEST, ephemeral[0] - 1};
        }
        if (HIGHEST - ephemeral[1] - 1 >= 1_000) {
            return new int[] {ephemeral[1] + 1, HIGHEST};
        }
        return new int[] {LOWEST, HIGHEST};
    }

    private static int[] ephemeralRange() {
        // Files.readString reads a single character of this procfs file (its size is reported as 0); lines work
        try {
            String[] bounds = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+");
            return new int[] {Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1])};
        } catch (IOException | RuntimeException notLinux) {
            return new int[] {32_768, 60_999};
        }
    }

    private static boolean free(int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}
