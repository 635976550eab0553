package io.castvault.testing;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class FreePortTest {

    @Test
    void drawsBelowTheEphemeralRangeWhenThereIsRoomThere() {
        assertArrayEquals(new int[] {10_000, 32_767}, FreePort.band(new int[] {32_768, 60_999}));
    }

    @Test
    void drawsAboveItWhenItStartsLow() {
        assertArrayEquals(new int[] {50_001, 65_535}, FreePort.band(new int[] {1_024, 50_000}));
    }

    @Test
    void drawsAnywhereWhenItCoversEverything() {
        assertArrayEquals(new int[] {10_000, 65_535}, FreePort.band(new int[] {1_024, 65_000}));
    }

    @Test
    void pickedPortsAreOutsideThisMachinesEphemeralRangeBindableAndNeverTheSameTwice() throws Exception {
        String[] range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+");
        int low = Integer.parseInt(range[0]);
        int high = Integer.parseInt(range[1]);
        Set<Integer> picked = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int port = FreePort.pick();
            picked.add(port);
            assertFalse(port >= low && port <= high, port + " is in the ephemeral range " + low + "-" + high);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
        }
        assertEquals(50, picked.size(), "a port handed out twice: " + picked);
    }
}
