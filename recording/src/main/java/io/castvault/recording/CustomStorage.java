package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.storage.AddressPolicy;
import io.castvault.storage.StoreRoot;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;

/**
 * The {@code custom_storage} object of {@code update_settings}, bounded and checked where it is parsed. The
 * endpoint is a URL the client chooses and the service then connects to (SSRF): only http/https, no user info,
 * query or fragment, and outside development no loopback, link-local (cloud metadata) or private address. This
 * check gives the admin a plain answer on save; the store's client checks again on every connection
 * ({@link AddressPolicy}), since the host's DNS answer may change after it was saved.
 */
public record CustomStorage(URI endpoint, String region, String bucket, String accessKey, String secretKey,
                            boolean pathStyle, StoreRoot root) {
    public static final int MAX_ENDPOINT = 512;
    public static final int MAX_KEY = 256;

    public static CustomStorage parse(String endpoint, String region, String bucket, String accessKey,
                                      String secretKey, Boolean pathStyle, String prefix, boolean allowLocalEndpoints) {
        URI uri = endpoint(required("endpoint", endpoint, MAX_ENDPOINT), allowLocalEndpoints);
        String r = required("region", region, 64);
        if (!r.matches("[a-z0-9-]{1,64}")) {
            throw CastvaultException.invalid("custom_storage.region must be lowercase letters, digits and '-'");
        }
        String b = required("bucket", bucket, 63);
        if (!b.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw CastvaultException.invalid("custom_storage.bucket is not a valid bucket name");
        }
        String ak = required("access_key", accessKey, MAX_KEY);
        String sk = required("secret_key", secretKey, MAX_KEY);
        if (prefix != null && prefix.length() > StoreRoot.MAX_LENGTH) {
            throw CastvaultException.invalid("custom_storage.prefix must be at most " + StoreRoot.MAX_LENGTH + " characters");
        }
        StoreRoot root;
        try {
            root = StoreRoot.of(prefix);
        } catch (IllegalArgumentException e) {
            throw CastvaultException.invalid("custom_storage." + e.getMessage());
        }
        return new CustomStorage(uri, r, b, ak, sk, pathStyle == null || pathStyle, root);
    }

    private static String required(String field, String value, int max) {
        if (value == null || value.isBlank()) {
            throw CastvaultException.missing("custom_storage." + field);
        }
        if (value.length() > max) {
            throw CastvaultException.invalid("custom_storage." + field + " must be at most " + max + " characters");
        }
        return value.strip();
    }

    private static URI endpoint(String value, boolean allowLocal) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw CastvaultException.invalid("custom_storage.endpoint is not a URL");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !"/".equals(uri.getRawPath())) {
            throw CastvaultException.invalid("custom_storage.endpoint must be an http or https URL with a host "
                    + "and nothing after it but an optional port");
        }
        if (!allowLocal) {
            try {
                for (InetAddress a : InetAddress.getAllByName(uri.getHost())) {
                    if (!AddressPolicy.PUBLIC_ONLY.allows(a)) {
                        throw CastvaultException.invalid("custom_storage.endpoint must be a public address");
                    }
                }
            } catch (UnknownHostException e) {
                throw CastvaultException.invalid("custom_storage.endpoint: unreachable (the host name does not resolve)");
            }
        }
        return uri;
    }

    /** The access key as the settings page shows it: enough to recognise, not enough to use. */
    public static String mask(String accessKey) {
        return accessKey.length() <= 4 ? "****" : accessKey.substring(0, 4) + "****";
    }

    /** Never prints the keys. */
    @Override
    public String toString() {
        return "CustomStorage[" + endpoint + ", " + region + ", " + bucket + ", " + root.value() + "]";
    }
}
