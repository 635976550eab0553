package io.castvault.events;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.impl.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The durable pull consumer of the gateways' {@code audit.session.end.>} events (seed 003). Each message is
 * acknowledged once handled; malformed and unknown-org messages are terminated (never redelivered) and counted;
 * a failure of a tier is nak'ed with a growing delay, and a message that failed {@code maxDeliveries} times is
 * copied to the dead-letter subject and terminated.
 */
public final class SessionEndConsumer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SessionEndConsumer.class);
    private static final int FETCH_BATCH = 16;

    /**
     * @param deadLetterSubject must be covered by a stream (the default, under {@code castvault.>}, is in
     *                          {@code CASTVAULT_EVENTS}) so a dead letter is kept
     * @param nakDelay          the first redelivery delay; it doubles per delivery up to {@code maxNakDelay}
     */
    public record Settings(String stream, String durable, String subject, String deadLetterSubject, int maxDeliveries,
                           Duration nakDelay, Duration maxNakDelay, Duration ackWait) {
        public static Settings defaults() {
            return new Settings("DEVICE_EVENTS", "api-session-audit-consumer", "audit.session.end.>",
                    "castvault.deadletter.audit.session.end", 8, Duration.ofSeconds(1), Duration.ofSeconds(60),
                    Duration.ofSeconds(60));
        }
    }

    /** What the consumer has done since start-up. */
    public record Stats(long handled, long duplicates, long malformed, long unknownOrg, long retried, long deadLettered) {
    }

    private final NatsConnection nats;
    private final SessionEndHandler handler;
    private final Settings settings;
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong unknownOrg = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private volatile boolean running;
    private volatile boolean subscribed;
    private Thread thread;

    public SessionEndConsumer(NatsConnection nats, SessionEndHandler handler, Settings settings) {
        this.nats = nats;
        this.handler = handler;
        this.settings = settings;
    }

    public synchronized void start() {
        running = true;
        thread = Thread.ofPlatform().daemon().name("castvault-session-end-consumer").start(this::run);
    }

    private void run() {
        String lastProblem = null;
        while (running) {
            JetStreamSubscription sub;
            try {
                sub = subscribe();
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                // the gateway's stream may not exist yet, or NATS is down: keep trying
                if (!e.toString().equals(lastProblem)) {
                    LOG.warn("session-end consumer: cannot bind to stream {} yet ({}); retrying", settings.stream(), e.toString());
                }
                lastProblem = e.toString();
                sleep(2_000);
                continue;
            }
            lastProblem = null;
            subscribed = true;
            LOG.info("session-end consumer bound: stream {}, durable {}, subject {}", settings.stream(),
                    settings.durable(), settings.subject());
            try {
                while (running) {
                    List<Message> batch = sub.fetch(FETCH_BATCH, Duration.ofSeconds(1));
                    for (Message m : batch) {
                        process(m);
                    }
                }
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("session-end consumer: {}; re-binding", e.toString());
                    sleep(1_000);
                }
            } finally {
                subscribed = false;
                try {
                    sub.unsubscribe();
                } catch (RuntimeException ignored) {
                    // the connection is down or closing; the durable consumer stays on the server either way
                }
            }
        }
    }

    private JetStreamSubscription subscribe() throws IOException, JetStreamApiException {
        ConsumerConfiguration config = ConsumerConfiguration.builder()
                .durable(settings.durable())
                .filterSubject(settings.subject())
                .ackPolicy(AckPolicy.Explicit)
                .deliverPolicy(DeliverPolicy.All)
                .ackWait(settings.ackWait())
                // the dead-letter decision is ours (after maxDeliveries); the server must not drop silently first
                .maxDeliver(-1)
                .build();
        nats.management().addOrUpdateConsumer(settings.stream(), config);
        return nats.jetStream().subscribe(settings.subject(), PullSubscribeOptions.bind(settings.stream(), settings.durable()));
    }

    void process(Message m) {
        long delivered = m.metaData().deliveredCount();
        SessionEndHandler.Outcome outcome;
        try {
            outcome = handler.handle(m.getData());
        } catch (RuntimeException e) {
            if (delivered >= settings.maxDeliveries()) {
                deadLetter(m, e);
            } else {
                retried.incrementAndGet();
                Duration delay = backoff(delivered);
                LOG.warn("session-end event (delivery {}) failed: {}; redelivery in {}", delivered, e.toString(), delay);
                m.nakWithDelay(delay);
            }
            return;
        }
        switch (outcome) {
            case HANDLED -> {
                handled.incrementAndGet();
                m.ack();
            }
            case DUPLICATE -> {
                duplicates.incrementAndGet();
                m.ack();
            }
            case MALFORMED -> {
                malformed.incrementAndGet();
                m.term();
            }
            case UNKNOWN_ORG -> {
                unknownOrg.incrementAndGet();
                m.term();
            }
        }
    }

    Duration backoff(long delivered) {
        long ms = settings.nakDelay().toMillis() << Math.min(20, Math.max(0, delivered - 1));
        return Duration.ofMillis(Math.min(ms, settings.maxNakDelay().toMillis()));
    }

    private void deadLetter(Message m, RuntimeException cause) {
        Headers h = new Headers();
        h.put("Castvault-Original-Subject", m.getSubject());
        h.put("Castvault-Deliveries", Long.toString(m.metaData().deliveredCount()));
        String error = cause.toString().replaceAll("[\\r\\n]", " ");
        h.put("Castvault-Error", error.length() > 500 ? error.substring(0, 500) : error);
        // one dead letter per original message, however often this is retried
        PublishOptions options = PublishOptions.builder()
                .messageId("dlq-" + settings.stream() + "-" + m.metaData().streamSequence()).build();
        try {
            nats.jetStream().publish(settings.deadLetterSubject(), h, m.getData(), options);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.warn("session-end event could not be dead-lettered ({}); it will be redelivered", e.toString());
            m.nakWithDelay(settings.maxNakDelay());
            return;
        }
        deadLettered.incrementAndGet();
        LOG.error("session-end event moved to {} after {} deliveries: {}", settings.deadLetterSubject(),
                m.metaData().deliveredCount(), error);
        m.term();
    }

    public Stats stats() {
        return new Stats(handled.get(), duplicates.get(), malformed.get(), unknownOrg.get(), retried.get(), deadLettered.get());
    }

    public boolean subscribed() {
        return subscribed;
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
    }
}
