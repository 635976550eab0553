package io.castvault.storage;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Which addresses an S3 client may open connections to. It is checked on every resolution of the endpoint's host
 * as the connection is made, not only when the endpoint is saved: a host name whose DNS answer later turns to a
 * loopback, link-local (cloud metadata, 169.254.169.254) or private address is refused then too (DNS rebinding).
 */
public enum AddressPolicy {
    /** Any address: the platform store, which the operator configures. */
    ANY,
    /** Public addresses only: an org's own store, whose endpoint a client chose. */
    PUBLIC_ONLY;

    public boolean allows(InetAddress address) {
        return this == ANY || isPublic(address);
    }

    static boolean isPublic(InetAddress a) {
        if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isAnyLocalAddress()
                || a.isMulticastAddress()) {
            return false;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address v6) {
            if (v6.isIPv4CompatibleAddress()) {
                // ::a.b.c.d carries an IPv4 address that some stacks still route to
                return isPublic(v4(b));
            }
            return (b[0] & 0xfe) != 0xfc; // fc00::/7, unique local: IPv6's private range
        }
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        // 0.0.0.0/8 (this network) and 100.64.0.0/10 (carrier-grade NAT, often the provider's internal network)
        return first != 0 && !(first == 100 && second >= 64 && second < 128);
    }

    private static InetAddress v4(byte[] v6) {
        try {
            return InetAddress.getByAddress(java.util.Arrays.copyOfRange(v6, 12, 16));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("four bytes are an IPv4 address", e);
        }
    }
}
