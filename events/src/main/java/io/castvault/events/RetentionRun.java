package io.castvault.events;

import io.castvault.db.Database;
import io.castvault.db.RecordingRef;
import io.castvault.db.Tx;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The events of one retention run: {@code recording.deleted} (reason retention) in each transaction that removes expired recordings,
 * then {@code retention.completed} for every org the run expired recordings in (always for the cleanup action,
 * which names its org).
 */
public final class RetentionRun {
    private final String trigger;
    private final UUID actorId;
    private final Map<UUID, Integer> expired = new ConcurrentHashMap<>();

    private RetentionRun(String trigger, UUID actorId) {
        this.trigger = trigger;
        this.actorId = actorId;
    }

    public static RetentionRun sweep() {
        return new RetentionRun("sweep", null);
    }

    public static RetentionRun cleanup(UUID orgId, UUID actorId) {
        RetentionRun run = new RetentionRun("cleanup", actorId);
        run.expired.put(orgId, 0);
        return run;
    }

    /** Call in the transaction that removed {@code removed}. */
    public void expired(Tx tx, List<RecordingRef> removed) {
        for (RecordingRef r : removed) {
            Outbox.append(tx, Events.recordingDeleted(r.orgId(), r.id(), Events.DeleteReason.RETENTION, null));
            expired.merge(r.orgId(), 1, Integer::sum);
        }
    }

    /** Call once the run is over. */
    public void completed(Database db) {
        if (!Outbox.enabled()) {
            return;
        }
        expired.forEach((org, n) -> db.inOrg(org, tx -> {
            Outbox.append(tx, Events.retentionCompleted(org, trigger, actorId, n));
            return null;
        }));
    }
}
