package io.castvault.db;

import org.jooq.JSONB;
import org.jooq.impl.DSL;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.EVENT_OUTBOX;
import static io.castvault.db.jooq.Tables.EVENT_RELAY_LEASE;

/** The event outbox (migration V6): appended in a change's transaction, drained by one relay at a time. */
public final class OutboxQueries {
    private OutboxQueries() {
    }

    /** An event waiting to be published; {@code dataJson} is the event's {@code data} object. */
    public record OutboxRow(long seq, UUID id, UUID orgId, String type, int version, Instant occurredAt, String dataJson) {
    }

    /**
     * Appends an event of {@code orgId}. In an org-scoped transaction it must be that org (row-level security
     * would refuse another anyway); work across orgs names the org of each event.
     */
    public static void append(Tx tx, UUID id, UUID orgId, String type, int version, String dataJson) {
        if (tx.orgId().isPresent() && !tx.orgId().get().equals(orgId)) {
            throw new IllegalArgumentException("event of org " + orgId + " in a transaction of org " + tx.orgId().get());
        }
        tx.dsl().insertInto(EVENT_OUTBOX)
                .set(EVENT_OUTBOX.ID, id)
                .set(EVENT_OUTBOX.ORG_ID, orgId)
                .set(EVENT_OUTBOX.TYPE, type)
                .set(EVENT_OUTBOX.VERSION, version)
                .set(EVENT_OUTBOX.DATA, JSONB.valueOf(dataJson))
                .execute();
    }

    /** The oldest {@code limit} events, in the order they must go out. */
    public static List<OutboxRow> oldest(Tx tx, int limit) {
        var o = EVENT_OUTBOX;
        return tx.dsl().select(o.SEQ, o.ID, o.ORG_ID, o.TYPE, o.VERSION, o.OCCURRED_AT, o.DATA)
                .from(o).orderBy(o.SEQ).limit(limit)
                .fetch(r -> new OutboxRow(r.value1(), r.value2(), r.value3(), r.value4(), r.value5(), r.value6(),
                        r.value7().data()));
    }

    /** Removes published events. */
    public static int delete(Tx tx, Collection<Long> seqs) {
        return tx.dsl().deleteFrom(EVENT_OUTBOX).where(EVENT_OUTBOX.SEQ.in(seqs)).execute();
    }

    public static int pending(Tx tx) {
        return tx.dsl().fetchCount(EVENT_OUTBOX);
    }

    /**
     * Takes or renews the named lease for {@code holder} until {@code ttl} from now (database clock); true when
     * {@code holder} has it. Another holder's lease is taken over only once it has lapsed.
     */
    public static boolean holdLease(Tx tx, String name, UUID holder, Duration ttl) {
        var l = EVENT_RELAY_LEASE;
        var until = DSL.field("clock_timestamp() + make_interval(secs => {0})", Instant.class,
                DSL.val(ttl.toMillis() / 1000.0));
        return tx.dsl().insertInto(l, l.NAME, l.HOLDER, l.EXPIRES_AT)
                .select(DSL.select(DSL.val(name), DSL.val(holder), until))
                .onConflict(l.NAME).doUpdate()
                .set(l.HOLDER, holder)
                .set(l.EXPIRES_AT, until)
                .where(l.HOLDER.eq(holder).or(l.EXPIRES_AT.lt(DSL.field("clock_timestamp()", Instant.class))))
                .execute() == 1;
    }

    /** Gives the lease up so another instance need not wait for it to lapse (shutdown). */
    public static void releaseLease(Tx tx, String name, UUID holder) {
        tx.dsl().deleteFrom(EVENT_RELAY_LEASE)
                .where(EVENT_RELAY_LEASE.NAME.eq(name).and(EVENT_RELAY_LEASE.HOLDER.eq(holder)))
                .execute();
    }
}
