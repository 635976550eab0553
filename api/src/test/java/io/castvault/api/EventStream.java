package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.db.OutboxQueries;
import io.castvault.events.OutboxRelay;
import io.castvault.testing.TestNats;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamInfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Reads what the service published, straight from the JetStream stream, as a subscriber would get it. */
final class EventStream {
    record Received(long seq, String subject, String msgId, JsonNode payload) {
        String type() {
            return payload.get("type").asText();
        }

        JsonNode data() {
            return payload.get("data");
        }
    }

    private EventStream() {
    }

    /** Every message of {@code stream} (all subjects), in stream order. */
    static List<Received> read(String url, String stream) {
        try (Connection nc = Nats.connect(url)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            StreamInfo info;
            try {
                info = jsm.getStreamInfo(stream);
            } catch (JetStreamApiException e) {
                return List.of();
            }
            List<Received> out = new ArrayList<>();
            if (info.getStreamState().getMsgCount() == 0) {
                return out; // a new, empty stream reports sequence 0, which is no message
            }
            for (long seq = info.getStreamState().getFirstSequence(); seq <= info.getStreamState().getLastSequence(); seq++) {
                MessageInfo m = jsm.getMessage(stream, seq);
                String body = new String(m.getData(), StandardCharsets.UTF_8);
                JsonNode json;
                try {
                    json = TestApp.JSON.readTree(body);
                } catch (IOException e) {
                    json = TestApp.JSON.getNodeFactory().textNode(body);
                }
                String id = m.getHeaders() == null ? null : m.getHeaders().getFirst("Nats-Msg-Id");
                out.add(new Received(seq, m.getSubject(), id, json));
            }
            return out;
        } catch (IOException | JetStreamApiException e) {
            throw new IllegalStateException("reading stream " + stream + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * What the stream holds now, for a time-out message: its message count and first and last sequence (a stream
     * created anew after a loss starts again at 1; a count below {@code last - first + 1} means messages vanished).
     */
    static String state(String url, String stream) {
        try (Connection nc = Nats.connect(url)) {
            StreamInfo info = nc.jetStreamManagement().getStreamInfo(stream);
            var s = info.getStreamState();
            return "stream " + stream + ": " + s.getMsgCount() + " messages, sequences " + s.getFirstSequence()
                    + ".." + s.getLastSequence() + ", created " + info.getCreateTime();
        } catch (JetStreamApiException e) {
            return "stream " + stream + ": " + e.getMessage();
        } catch (IOException e) {
            return "stream " + stream + ": NATS unreachable (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "stream " + stream + ": interrupted";
        }
    }

    /** The service's events: CASTVAULT_EVENTS without dead letters. */
    static List<Received> events(String url) {
        return read(url, OutboxRelay.STREAM).stream().filter(r -> !r.subject().startsWith("castvault.deadletter.")).toList();
    }

    static int outboxSize(TestApp app) {
        return app.db().acrossOrgs(OutboxQueries::pending);
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        await(what, timeout, condition, () -> "");
    }

    /** As above; on time-out the message carries {@code state}, what was seen last. */
    static void await(String what, Duration timeout, BooleanSupplier condition, java.util.function.Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + " " + state.get());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /**
     * As {@link #await(String, Duration, BooleanSupplier, java.util.function.Supplier)}, about events on
     * {@code nats}: a time-out's message also says what the stream holds and ends with the server's log tail, and
     * the server keeps its logs and store after the test ({@link TestNats#failed()}).
     */
    static void await(TestNats nats, String what, Duration timeout, BooleanSupplier condition,
                      java.util.function.Supplier<String> state) {
        try {
            await(what, timeout, condition, () -> state.get() + "\n" + state(nats.url(), OutboxRelay.STREAM));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nnats-server log:\n" + nats.failed(), e);
        }
    }

    /** All published and nothing more coming: the outbox is empty and the stream holds {@code expected}. */
    static List<Received> awaitEvents(TestApp app, TestNats nats, int expected, Duration timeout) {
        String url = nats.url();
        await(nats, expected + " events", timeout, () -> outboxSize(app) == 0 && events(url).size() >= expected,
                () -> "(outbox " + outboxSize(app) + ", events in the stream " + events(url).size() + ": "
                        + events(url).stream().map(e -> e.type() + " " + e.data().path("recording_id").asText("-")).toList()
                        + ", relay " + app.bean(EventsRuntime.class).health().map(Object::toString).orElse("off") + ")");
        try {
            Thread.sleep(500); // a late duplicate would show up now
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return events(url);
    }
}
