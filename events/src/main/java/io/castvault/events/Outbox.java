package io.castvault.events;

import io.castvault.db.OutboxQueries;
import io.castvault.db.Tx;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where lifecycle code records its events: in the transaction of the change itself, so an event exists exactly
 * when its change committed. The hooks are static one-liners on purpose, so they can sit in whichever use case
 * owns the change.
 *
 * <p>Appending is switched on while a relay runs in this process ({@link #enable()} at start-up when NATS is
 * configured, {@link #release()} at shutdown); without one nothing is written, since nothing would drain it.
 */
public final class Outbox {
    private static final AtomicInteger RELAYS = new AtomicInteger();

    private Outbox() {
    }

    public static void enable() {
        RELAYS.incrementAndGet();
    }

    public static void release() {
        RELAYS.updateAndGet(n -> Math.max(0, n - 1));
    }

    public static boolean enabled() {
        return RELAYS.get() > 0;
    }

    public static void append(Tx tx, Event event) {
        if (!enabled()) {
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
}
