package io.castvault.events;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One connection to NATS for the relay and the consumer. It is made even while the server is down and
 * reconnects forever, so the service starts and runs through NATS outages (events wait in the outbox).
 */
public final class NatsConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NatsConnection.class);
    /** JetStream's "stream not found" and "stream name already in use" API errors. */
    private static final int STREAM_NOT_FOUND = 10059;
    private static final int STREAM_NAME_IN_USE = 10058;

    private final Connection connection;
    private final JetStream js;
    private final JetStreamManagement jsm;

    private NatsConnection(Connection connection) throws IOException {
        this.connection = connection;
        this.js = connection.jetStream();
        this.jsm = connection.jetStreamManagement();
    }

    public static NatsConnection connect(NatsSettings s) {
        Options.Builder b = new Options.Builder()
                .server(s.url())
                .connectionName("castvault")
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(500))
                .connectionTimeout(Duration.ofSeconds(5))
                .connectionListener(listener())
                .errorListener(new ErrorListener() {
                    @Override
                    public void exceptionOccurred(Connection conn, Exception exp) {
                        LOG.debug("NATS: {}", exp.toString());
                    }
                });
        if (s.credsFile() != null && !s.credsFile().isBlank()) {
            b.authHandler(Nats.credentials(s.credsFile()));
        }
        if (s.truststore() != null && !s.truststore().isBlank()) {
            b.truststorePath(s.truststore());
            b.truststorePassword(chars(s.truststorePassword()));
        }
        if (s.keystore() != null && !s.keystore().isBlank()) {
            b.keystorePath(s.keystore());
            b.keystorePassword(chars(s.keystorePassword()));
        }
        try {
            return new NatsConnection(Nats.connectReconnectOnConnect(b.build()));
        } catch (IOException e) {
            throw new IllegalStateException("NATS connection to " + redacted(s.url()) + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to NATS", e);
        }
    }

    private static ConnectionListener listener() {
        // jnats reports DISCONNECTED again after every failed reconnect attempt; say it once per outage
        AtomicBoolean down = new AtomicBoolean();
        return (conn, event) -> {
            switch (event) {
                case DISCONNECTED -> {
                    if (down.compareAndSet(false, true)) {
                        LOG.warn("NATS disconnected; events wait in the outbox until it is back");
                    }
                }
                case RECONNECTED, CONNECTED -> {
                    down.set(false);
                    LOG.info("NATS {}", event);
                }
                default -> LOG.debug("NATS {}", event);
            }
        };
    }

    private static char[] chars(String s) {
        return s == null ? null : s.toCharArray();
    }

    /** The URL without user information, for logs. */
    public static String redacted(String url) {
        return url == null ? null : url.replaceAll("//[^@/]*@", "//***@");
    }

    public boolean connected() {
        return connection.getStatus() == Connection.Status.CONNECTED;
    }

    Connection raw() {
        return connection;
    }

    JetStream jetStream() {
        return js;
    }

    JetStreamManagement management() {
        return jsm;
    }

    /** Creates the file-backed stream when it does not exist yet; an existing stream is left as configured. */
    void ensureStream(String name, String subjects, Duration duplicateWindow) throws IOException, JetStreamApiException {
        try {
            jsm.getStreamInfo(name);
            return;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                throw e;
            }
        }
        try {
            jsm.addStream(StreamConfiguration.builder().name(name).subjects(subjects)
                    .storageType(StorageType.File).duplicateWindow(duplicateWindow).build());
            LOG.info("created JetStream stream {} for {}", name, subjects);
        } catch (JetStreamApiException e) {
            // "already in use": another instance created it meanwhile, which is as good
            if (e.getApiErrorCode() != STREAM_NAME_IN_USE) {
                throw e;
            }
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
