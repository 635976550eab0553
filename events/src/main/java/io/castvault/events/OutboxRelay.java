package io.castvault.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.db.Database;
import io.castvault.db.OutboxQueries;
import io.castvault.db.OutboxQueries.OutboxRow;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes the outbox to JetStream, oldest first, and deletes what the stream acknowledged.
 *
 * <p>Order and uniqueness: one instance at a time holds the relay lease (a row with an expiry, renewed on every
 * pass), and it publishes one event at a time, the next only after the previous one's acknowledgement, so the
 * stream receives events in outbox order. A pass publishes only while its lease is certainly held: no publish
 * starts later than {@link Settings#publishWindow()} after the renewal, and none waits longer than
 * {@link Settings#effectivePublishTimeout()}, so the last one ends within half the lease, and another instance
 * cannot have taken over meanwhile (a batch of 200 slow publishes would otherwise outlast the lease). Every
 * message carries {@code Nats-Msg-Id} = the event id: a re-send after a lost acknowledgement (or by a new holder
 * after this one died between a publish and the outbox delete) is dropped by the stream's duplicate window.
 * No database transaction stays open while NATS is waited on.
 */
public final class OutboxRelay implements AutoCloseable {
    public static final String STREAM = "CASTVAULT_EVENTS";
    public static final String SUBJECT_PREFIX = "castvault.";
    static final String LEASE = "outbox-relay";
    static final Duration DUPLICATE_WINDOW = Duration.ofMinutes(10);
    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);

    /**
     * @param pollInterval how long to wait when the outbox is empty
     * @param leaseTtl     how long the lease lasts without renewal: another instance takes over this long after
     *                     the holder died
     */
    public record Settings(Duration pollInterval, Duration leaseTtl, int batchSize, Duration publishTimeout) {
        public static Settings defaults() {
            return new Settings(Duration.ofMillis(200), Duration.ofSeconds(15), 200, Duration.ofSeconds(5));
        }

        /** The publish timeout, at most a quarter of the lease (a short lease in tests shortens it). */
        Duration effectivePublishTimeout() {
            Duration quarter = leaseTtl.dividedBy(4);
            return publishTimeout.compareTo(quarter) < 0 ? publishTimeout : quarter;
        }

        /**
         * How long after the lease was renewed a publish may still start: the last one then ends within half the
         * lease, and the other half is left for deleting what was published.
         */
        Duration publishWindow() {
            return leaseTtl.dividedBy(2).minus(effectivePublishTimeout());
        }
    }

    private final Database db;
    private final NatsConnection nats;
    private final Settings settings;
    private final UUID instance = UUID.randomUUID();
    private final AtomicLong published = new AtomicLong();
    private volatile boolean streamReady;
    /** The stream was found or created once: not finding it again means it was lost. */
    private volatile boolean streamSeen;
    private volatile boolean running;
    private volatile String lastError;
    private Thread thread;

    public OutboxRelay(Database db, NatsConnection nats, Settings settings) {
        this.db = db;
        this.nats = nats;
        this.settings = settings;
    }

    public synchronized void start() {
        running = true;
        thread = Thread.ofPlatform().daemon().name("castvault-outbox-relay").start(this::run);
    }

    private void run() {
        long backoffMs = 0;
        while (running) {
            try {
                int n = relayOnce();
                backoffMs = 0;
                lastError = null;
                if (n <= 0) {
                    sleep(n < 0 ? Math.max(settings.pollInterval().toMillis(), settings.leaseTtl().toMillis() / 5)
                            : settings.pollInterval().toMillis());
                }
            } catch (RuntimeException e) {
                streamReady = false;
                backoffMs = Math.min(5_000, Math.max(250, backoffMs * 2));
                if (!e.toString().equals(lastError)) {
                    LOG.warn("outbox relay: {}; retrying (events wait in the outbox)", e.toString());
                }
                lastError = e.toString();
                sleep(backoffMs);
            }
        }
    }

    /**
     * One pass: renews the lease and publishes up to a batch, for as long as the lease is certainly held. Returns
     * how many events went out, or -1 when another instance holds the lease. A failed publish ends the pass with
     * an exception after the events acknowledged before it were deleted.
     */
    public int relayOnce() {
        // read before the renewal: the lease then lasts at least leaseTtl from here
        long renewed = System.nanoTime();
        boolean leader = db.acrossOrgs(tx -> OutboxQueries.holdLease(tx, LEASE, instance, settings.leaseTtl()));
        if (!leader) {
            return -1;
        }
        if (!nats.connected()) {
            // Not even tried: a publish now would sit in the client's reconnect buffer until the publish timeout.
            // (A message that does get buffered in a race with a disconnect is harmless: the next event is not
            // sent before this one is acknowledged, and the re-send carries the same Nats-Msg-Id.)
            throw new IllegalStateException("NATS is not connected");
        }
        // before the first event: the consumer's dead letters go to this stream too
        ensureStream();
        List<OutboxRow> rows = db.acrossOrgs(tx -> OutboxQueries.oldest(tx, settings.batchSize()));
        if (rows.isEmpty()) {
            return 0;
        }
        List<Long> done = new ArrayList<>(rows.size());
        RuntimeException failure = null;
        long window = settings.publishWindow().toNanos();
        try {
            for (OutboxRow row : rows) {
                if (System.nanoTime() - renewed > window) {
                    break; // the rest after the next renewal, so that no publish can outlast the lease
                }
                publish(row);
                done.add(row.seq());
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        if (!done.isEmpty()) {
            db.acrossOrgs(tx -> OutboxQueries.delete(tx, done));
            published.addAndGet(done.size());
        }
        if (failure != null) {
            throw failure;
        }
        return done.size();
    }

    private void ensureStream() {
        if (streamReady) {
            return;
        }
        try {
            boolean created = nats.ensureStream(STREAM, SUBJECT_PREFIX + ">", DUPLICATE_WINDOW);
            if (created && streamSeen) {
                // the stream existed before: the server lost it (its store gone, or not recovered after a crash),
                // and with it every event published so far; consumers will not see those again
                LOG.warn("JetStream stream {} was gone and has been created anew, empty: events published before "
                        + "are no longer in NATS (was the server's store lost, or not recovered after a crash?)", STREAM);
            } else if (created) {
                LOG.info("created JetStream stream {} for {}", STREAM, SUBJECT_PREFIX + ">");
            }
            streamSeen = true;
            streamReady = true;
        } catch (IOException e) {
            throw new UncheckedIOException("JetStream unavailable: " + e.getMessage(), e);
        } catch (JetStreamApiException e) {
            throw new IllegalStateException("JetStream refused stream " + STREAM + ": " + e.getMessage(), e);
        }
    }

    private void publish(OutboxRow row) {
        Headers headers = new Headers();
        headers.put("Content-Type", "application/json");
        PublishOptions options = PublishOptions.builder().messageId(row.id().toString()).expectedStream(STREAM)
                .streamTimeout(settings.effectivePublishTimeout()).build();
        try {
            PublishAck ack = nats.jetStream().publish(subject(row), headers, payload(row), options);
            if (ack.isDuplicate()) {
                LOG.debug("event {} was already in the stream", row.id());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("publishing event " + row.id() + " failed: " + e.getMessage(), e);
        } catch (JetStreamApiException e) {
            throw new IllegalStateException("JetStream refused event " + row.id() + ": " + e.getMessage(), e);
        }
    }

    static String subject(OutboxRow row) {
        return SUBJECT_PREFIX + row.orgId() + "." + row.type();
    }

    /** The documented payload: {id, version, type, org_id, occurred_at, data}. */
    static byte[] payload(OutboxRow row) {
        ObjectNode n = Events.JSON.createObjectNode();
        n.put("id", row.id().toString());
        n.put("version", row.version());
        n.put("type", row.type());
        n.put("org_id", row.orgId().toString());
        n.put("occurred_at", row.occurredAt().toString());
        try {
            n.set("data", Events.JSON.readTree(row.dataJson()));
            return Events.JSON.writeValueAsString(n).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long publishedCount() {
        return published.get();
    }

    /** The last failure while it lasts (NATS or the database unreachable), null when relaying works. */
    public String lastError() {
        return lastError;
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            db.acrossOrgs(tx -> {
                OutboxQueries.releaseLease(tx, LEASE, instance);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debug("could not release the relay lease (it lapses by itself): {}", e.toString());
        }
    }
}
