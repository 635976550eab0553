package io.castvault.storage;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressPolicyTest {

    @Test
    void publicOnlyRefusesEveryLocalPrivateAndMetadataRange() throws Exception {
        for (String local : new String[]{"127.0.0.1", "127.8.9.10", "::1", "169.254.169.254", "fe80::1", "10.1.2.3",
                "172.16.0.1", "172.31.255.254", "192.168.1.1", "0.0.0.0", "0.1.2.3", "::", "100.64.0.1",
                "100.127.255.254", "224.0.0.1", "fd00::1", "fc12::5", "::ffff:127.0.0.1", "::169.254.169.254",
                "localhost"}) {
            for (InetAddress a : InetAddress.getAllByName(local)) {
                assertFalse(AddressPolicy.PUBLIC_ONLY.allows(a), local + " → " + a);
                assertTrue(AddressPolicy.ANY.allows(a), local);
            }
        }
    }

    @Test
    void publicOnlyAllowsPublicAddresses() throws Exception {
        for (String pub : new String[]{"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.32.0.1",
                "2606:4700:4700::1111", "52.216.0.1"}) {
            assertTrue(AddressPolicy.PUBLIC_ONLY.allows(InetAddress.getByName(pub)), pub);
        }
    }
}
