package io.castvault.agentingest;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Works out the client's address for rate limiting. {@code X-Forwarded-For} is only believed when the hop
 * that sent it is a trusted proxy: walking the header from its right end (the entry the nearest proxy
 * appended), each entry is accepted while the hop before it is trusted. Anyone else can write anything there.
 */
public final class TrustedProxies {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

    private record Cidr(byte[] network, int prefix) {
        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Cidr> trusted;

    private TrustedProxies(List<Cidr> trusted) {
        this.trusted = trusted;
    }

    /**
     * Parses a comma-separated list of CIDRs ({@code 10.0.0.0/8}, {@code fd00::/8}) or single addresses;
     * empty or null trusts nobody. A malformed entry is a configuration error.
     */
    public static TrustedProxies parse(String spec) {
        List<Cidr> list = new ArrayList<>();
        if (spec != null) {
            for (String raw : spec.split(",")) {
                String entry = raw.strip();
                if (entry.isEmpty()) {
                    continue;
                }
                int slash = entry.indexOf('/');
                String host = slash < 0 ? entry : entry.substring(0, slash);
                InetAddress address = literal(host)
                        .orElseThrow(() -> new IllegalArgumentException("TRUSTED_PROXIES: not an IP address: " + entry));
                int bits = address.getAddress().length * 8;
                int prefix = bits;
                if (slash >= 0) {
                    try {
                        prefix = Integer.parseInt(entry.substring(slash + 1));
                    } catch (NumberFormatException e) {
                        prefix = -1;
                    }
                    if (prefix < 0 || prefix > bits) {
                        throw new IllegalArgumentException("TRUSTED_PROXIES: bad prefix length in " + entry);
                    }
                }
                list.add(new Cidr(address.getAddress(), prefix));
            }
        }
        return new TrustedProxies(List.copyOf(list));
    }

    public boolean isTrusted(InetAddress address) {
        for (Cidr c : trusted) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** The client's address, as text, given the TCP peer and the {@code X-Forwarded-For} header (may be null). */
    public String clientAddress(InetAddress peer, String forwardedFor) {
        InetAddress current = peer;
        if (forwardedFor != null && !trusted.isEmpty()) {
            String[] hops = forwardedFor.split(",");
            for (int i = hops.length - 1; i >= 0 && isTrusted(current); i--) {
                Optional<InetAddress> hop = literal(stripPort(hops[i].strip()));
                if (hop.isEmpty()) {
                    break;
                }
                current = hop.get();
            }
        }
        return current.getHostAddress();
    }

    private static String stripPort(String hop) {
        if (hop.startsWith("[")) {
            int end = hop.indexOf(']');
            return end < 0 ? hop : hop.substring(1, end);
        }
        int colon = hop.indexOf(':');
        if (colon > 0 && hop.indexOf(':', colon + 1) < 0) {
            return hop.substring(0, colon); // IPv4 with a port
        }
        return hop;
    }

    /** Parses an IP literal; never a name lookup. */
    static Optional<InetAddress> literal(String text) {
        try {
            if (IPV4.matcher(text).matches()) {
                String[] parts = text.split("\\.");
                byte[] bytes = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(parts[i]);
                    if (v > 255) {
                        return Optional.empty();
                    }
                    bytes[i] = (byte) v;
                }
                return Optional.of(InetAddress.getByAddress(bytes));
            }
            // with a colon the JDK parses an IPv6 literal and never resolves a name
            return IPV6.matcher(text).matches() ? Optional.of(InetAddress.getByName(text)) : Optional.empty();
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
