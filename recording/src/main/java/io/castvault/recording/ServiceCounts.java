package io.castvault.recording;

import io.castvault.db.Database;
import io.castvault.db.OpsQueries;

import java.util.Map;

/**
 * The service-wide figures behind the operations gauges, over every org. Cheap: they come from trigger-maintained
 * counters and the small outbox, never from the recordings themselves.
 */
public final class ServiceCounts {
    /**
     * @param recordingsByStatus recordings per status name, {@code deleting} (the sweeper's backlog) included;
     *                           a status no recording has is absent
     * @param outboxBacklog      events written but not yet published
     */
    public record Snapshot(Map<String, Long> recordingsByStatus, long outboxBacklog) {
    }

    private final Database db;

    public ServiceCounts(Database db) {
        this.db = db;
    }

    public Snapshot read() {
        return db.acrossOrgs(tx -> new Snapshot(OpsQueries.recordingsByStatus(tx), OpsQueries.outboxBacklog(tx)));
    }
}
