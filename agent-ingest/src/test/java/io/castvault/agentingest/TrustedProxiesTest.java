package io.castvault.agentingest;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrustedProxiesTest {
    static InetAddress ip(String literal) {
        return TrustedProxies.literal(literal).orElseThrow();
    }

    @Test
    void cidrsMatchIpv4AndIpv6() {
        TrustedProxies p = TrustedProxies.parse(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8, 2001:db8:0:1::/64, 172.16.0.0/12");
        assertTrue(p.isTrusted(ip("10.255.1.2")));
        assertFalse(p.isTrusted(ip("11.0.0.1")));
        assertTrue(p.isTrusted(ip("192.168.1.7")));
        assertFalse(p.isTrusted(ip("192.168.1.8")));
        assertTrue(p.isTrusted(ip("172.31.255.255")));
        assertFalse(p.isTrusted(ip("172.32.0.0")));
        assertTrue(p.isTrusted(ip("fd12:3456::1")));
        assertFalse(p.isTrusted(ip("fe80::1")));
        assertTrue(p.isTrusted(ip("2001:db8:0:1:ffff::1")));
        assertFalse(p.isTrusted(ip("2001:db8:0:2::1")));
        // an IPv4 address mapped into IPv6 is the IPv4 address
        assertTrue(p.isTrusted(ip("::ffff:10.1.2.3")));
        assertTrue(TrustedProxies.parse("0.0.0.0/0").isTrusted(ip("8.8.8.8")));
        assertFalse(TrustedProxies.parse("0.0.0.0/0").isTrusted(ip("2001:db8::1")));
    }

    @Test
    void badEntriesAreConfigurationErrors() {
        for (String bad : new String[] {"10.0.0.0/33", "example.com", "10.0.0/8", "300.1.1.1", "::1/129", "10.0.0.0/x"}) {
            assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(bad), bad);
        }
        assertFalse(TrustedProxies.parse("").isTrusted(ip("127.0.0.1")));
        assertFalse(TrustedProxies.parse(null).isTrusted(ip("127.0.0.1")));
    }

    @Test
    void forwardedForIsBelievedOnlyFromTrustedHops() {
        TrustedProxies p = TrustedProxies.parse("10.0.0.0/8");
        InetAddress proxy = ip("10.0.0.5");
        InetAddress stranger = ip("198.51.100.9");
        assertEquals("203.0.113.1", p.clientAddress(proxy, "203.0.113.1"));
        // whatever the client wrote on the left is not believed: the entry our proxy appended is
        assertEquals("203.0.113.1", p.clientAddress(proxy, "1.2.3.4, 203.0.113.1"));
        // a chain of our own proxies is walked through
        assertEquals("203.0.113.1", p.clientAddress(proxy, "1.2.3.4, 203.0.113.1, 10.9.9.9"));
        assertEquals("198.51.100.9", p.clientAddress(stranger, "203.0.113.1"));
        assertEquals("10.0.0.5", p.clientAddress(proxy, null));
        assertEquals("10.0.0.5", p.clientAddress(proxy, "not-an-ip"));
        assertEquals("203.0.113.1", p.clientAddress(proxy, "203.0.113.1:4711"));
        assertEquals("2001:db8:0:0:0:0:0:1", p.clientAddress(proxy, "[2001:db8::1]:443"));
        assertEquals("10.0.0.5", TrustedProxies.parse("").clientAddress(proxy, "203.0.113.1"));
    }
}
