package io.castvault.api;

import io.castvault.api.config.EventsConfig;
import io.castvault.db.Database;
import io.castvault.events.NatsConnection;
import io.castvault.events.Outbox;
import io.castvault.events.OutboxRelay;
import io.castvault.events.SessionEndConsumer;
import io.castvault.events.SessionEndHandler;
import io.castvault.recording.GatewaySessionSealing;
import io.castvault.recording.Sealing;
import io.castvault.recording.SessionEndEntries;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Starts the outbox relay and the session-end consumer when NATS_URL is set, after {@link Startup} migrated the
 * schema; says at start-up when events are off.
 */
@Context
@Requires(notEnv = "cli")
public class EventsRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventsRuntime.class);

    private final NatsConnection nats;
    private final OutboxRelay relay;
    private final SessionEndConsumer consumer;

    public EventsRuntime(Startup migrated, EventsConfig config, Database db, Sealing sealing) {
        if (!config.enabled()) {
            LOG.info("NATS_URL is not set: lifecycle events are not published and gateway session-end events are not consumed");
            nats = null;
            relay = null;
            consumer = null;
            return;
        }
        Outbox.enable();
        nats = NatsConnection.connect(config.nats());
        relay = new OutboxRelay(db, nats, config.relay());
        consumer = new SessionEndConsumer(nats, new SessionEndHandler(db, new GatewaySessionSealing(db, sealing),
                new SessionEndEntries(db)), config.consumer());
        relay.start();
        consumer.start();
        LOG.info("events: publishing to JetStream stream {} at {}; consuming {} from stream {} as {}",
                OutboxRelay.STREAM, NatsConnection.redacted(config.natsUrl()), config.consumerSubject(),
                config.consumerStream(), config.consumerDurable());
    }

    /** For /health: empty when NATS is not configured. */
    public Optional<Map<String, Object>> health() {
        if (nats == null) {
            return Optional.empty();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", nats.connected() ? "up" : "down");
        m.put("relay_error", relay.lastError());
        m.put("events_published", relay.publishedCount());
        m.put("session_end_consumer", consumer.subscribed() ? "bound" : "waiting");
        m.put("session_end", consumer.stats());
        return Optional.of(m);
    }

    /** For /health/ready: a JetStream round trip; throws when NATS is down (or not configured). */
    public void pingNats() {
        if (nats == null) {
            throw new IllegalStateException("NATS_URL is not set");
        }
        nats.ping();
    }

    public Optional<SessionEndConsumer.Stats> consumerStats() {
        return Optional.ofNullable(consumer).map(SessionEndConsumer::stats);
    }

    @PreDestroy
    @Override
    public void close() {
        if (consumer != null) {
            consumer.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (nats != null) {
            nats.close();
            Outbox.release();
        }
    }
}
