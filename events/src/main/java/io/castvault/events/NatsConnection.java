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
 * One connection to NATS for the relay and the consumer. It is made in the background, also while the server is
 * down at start-up, and then reconnects forever, so the service starts and runs through NATS outages (events
 * wait in the outbox).
 */
public final class NatsConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NatsConnection.class);
    /** JetStream's "stream not found" and "stream name already in use" API errors. */
    private static final int STREAM_NOT_FOUND = 10059;
    private static final int STREAM_NAME_IN_USE = 10058;

    private final Options options;
    private final String url;
    private volatile Connection connection;
    private volatile boolean closed;
    private final Thread connector;

    private NatsConnection(Options options, String url) {
        this.options = options;
        this.url = url;
        this.connector = Thread.ofPlatform().daemon().name("castvault-nats-connect").start(this::connectLoop);
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
        return new NatsConnection(b.build(), redacted(s.url()));
    }

    /** Until the first connection succeeds; jnats reconnects by itself after that. */
    private void connectLoop() {
        String lastProblem = null;
        while (!closed && connection == null) {
            try {
                Connection c = Nats.connect(options);
                synchronized (this) {
                    if (closed) {
                        c.close();
                        return;
                    }
                    connection = c;
                }
            } catch (IOException e) {
                if (!e.toString().equals(lastProblem)) {
                    LOG.warn("NATS at {} unreachable ({}); retrying, events wait in the outbox", url, e.getMessage());
                }
                lastProblem = e.toString();
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException ie) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
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
        Connection c = connection;
        return c != null && c.getStatus() == Connection.Status.CONNECTED;
    }

    private Connection require() {
        Connection c = connection;
        if (c == null) {
            throw new IllegalStateException("NATS at " + url + " not reached yet");
        }
        return c;
    }

    JetStream jetStream() throws IOException {
        return require().jetStream();
    }

    JetStreamManagement management() throws IOException {
        return require().jetStreamManagement();
    }

    /**
     * Creates the file-backed stream when it does not exist yet; an existing stream is left as configured. Returns
     * true when this call created it (the caller decides how loudly to say so), false when it was there already or
     * another instance created it meanwhile.
     */
    boolean ensureStream(String name, String subjects, Duration duplicateWindow) throws IOException, JetStreamApiException {
        JetStreamManagement jsm = management();
        try {
            jsm.getStreamInfo(name);
            return false;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                throw e;
            }
        }
        try {
            jsm.addStream(StreamConfiguration.builder().name(name).subjects(subjects)
                    .storageType(StorageType.File).duplicateWindow(duplicateWindow).build());
            return true;
        } catch (JetStreamApiException e) {
            // "already in use": another instance created it meanwhile, which is as good
            if (e.getApiErrorCode() != STREAM_NAME_IN_USE) {
                throw e;
            }
            return false;
        }
    }

    /**
     * One JetStream round trip (the account's statistics), for readiness: throws at once when the connection is
     * down (a request would wait in the reconnect buffer), and when JetStream does not answer.
     */
    public void ping() {
        if (!connected()) {
            throw new IllegalStateException("NATS at " + url + " is not connected");
        }
        try {
            management().getAccountStatistics();
        } catch (IOException | JetStreamApiException e) {
            throw new IllegalStateException("JetStream at " + url + " did not answer: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        Connection c;
        synchronized (this) {
            closed = true;
            c = connection;
        }
        connector.interrupt();
        if (c != null) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
