package io.castvault.events;

/**
 * How to reach NATS. {@code url} may carry user and password or a token as jnats understands them
 * ({@code nats://user:pass@host:4222}, {@code tls://host:4222}); the other values are optional.
 *
 * @param credsFile   a NATS credentials file (JWT + NKey seed), e.g. from {@code nsc}
 * @param truststore  a JKS/PKCS12 truststore for a server certificate not signed by a public CA
 * @param keystore    a JKS/PKCS12 keystore with a client certificate, for servers that verify clients
 */
public record NatsSettings(String url, String credsFile, String truststore, String truststorePassword,
                           String keystore, String keystorePassword) {

    public static NatsSettings of(String url) {
        return new NatsSettings(url, null, null, null, null, null);
    }
}
