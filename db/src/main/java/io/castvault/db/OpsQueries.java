package io.castvault.db;

import java.util.Map;
import java.util.TreeMap;

import static io.castvault.db.jooq.Tables.EVENT_OUTBOX;
import static io.castvault.db.jooq.Tables.RECORDING_STATS;
import static org.jooq.impl.DSL.sum;

/** Cheap figures for the service's own gauges; they read the trigger-maintained counters, never the recordings. */
public final class OpsQueries {
    private OpsQueries() {
    }

    /**
     * Recordings per status over every org (needs an all-orgs transaction); {@code deleting} counts those hidden
     * whose objects are still to be deleted: marked by the delete action, or removed by retention.
     */
    public static Map<String, Long> recordingsByStatus(Tx tx) {
        Map<String, Long> counts = new TreeMap<>();
        tx.dsl().select(RECORDING_STATS.STATUS, sum(RECORDING_STATS.RECORDINGS))
                .from(RECORDING_STATS)
                .groupBy(RECORDING_STATS.STATUS)
                .forEach(r -> counts.put(r.value1(), r.value2() == null ? 0L : r.value2().longValue()));
        long awaitingObjectRemoval = RemovalQueries.recordingsAwaitingObjectRemoval(tx);
        if (awaitingObjectRemoval > 0) {
            counts.merge("deleting", awaitingObjectRemoval, Long::sum);
        }
        return counts;
    }

    /** Events written but not yet published (the relay prunes what JetStream acknowledged, so this stays small). */
    public static long outboxBacklog(Tx tx) {
        return tx.dsl().fetchCount(EVENT_OUTBOX);
    }
}
