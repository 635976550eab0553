package io.castvault.storage;

import org.apache.http.conn.DnsResolver;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Resolves a host as the connection is opened and refuses it when any of its addresses is one the policy does not
 * allow, so what was checked is what is connected to. All of them, not just the first: the client may try each.
 */
final class CheckedDnsResolver implements DnsResolver {
    private final AddressPolicy policy;

    CheckedDnsResolver(AddressPolicy policy) {
        this.policy = policy;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress[] addresses = InetAddress.getAllByName(host);
        for (InetAddress a : addresses) {
            if (!policy.allows(a)) {
                throw new RefusedAddressException(host);
            }
        }
        return addresses;
    }

    /** The endpoint resolved to an address the policy refuses; no connection was opened. */
    static final class RefusedAddressException extends UnknownHostException {
        RefusedAddressException(String host) {
            super(host + " resolves to a loopback, link-local or private address, which this store may not use");
        }
    }
}
