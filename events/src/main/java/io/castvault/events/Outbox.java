package io.castvault.events;

import io.castvault.db.OutboxQueries;
import io.castvault.db.RecordingRef;
import io.castvault.db.Tx;

import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/**
 * Where lifecycle code records its events: in the transaction of the change itself, so an event exists exactly
 * when its change committed. The hooks are static one-liners on purpose, so they can sit in whichever use case
 * owns the change.
 *
 * <p>Appending is switched on at start-up when NATS is configured ({@link #enable()}); without NATS nothing is
 * written and nothing would ever drain the table.
 */
public final class Outbox {
    private static volatile boolean enabled;

    private Outbox() {
    }

    public static void enable() {
        enabled = true;
    }

    public static boolean enabled() {
        return enabled;
    }

    public static void append(Tx tx, Event event) {
        if (!enabled) {
            return;
        }
        OutboxQueries.append(tx, event.id(), event.orgId(), event.type().wireName(), event.type().version(),
                event.data().toString());
    }

    /** {@link #append}, for use in a condition: {@code changed(tx) && Outbox.appended(tx, event)}. */
    public static boolean appended(Tx tx, Event event) {
        append(tx, event);
        return true;
    }

    public static void appendAll(Tx tx, Collection<Event> events) {
        events.forEach(e -> append(tx, e));
    }

    /**
     * For the retention marking loops: appends one event per recording just marked and returns how many were
     * marked, so {@code while (... > 0)} loops keep their shape.
     */
    public static int appendFor(Tx tx, List<RecordingRef> marked, Function<RecordingRef, Event> event) {
        marked.forEach(r -> append(tx, event.apply(r)));
        return marked.size();
    }
}
