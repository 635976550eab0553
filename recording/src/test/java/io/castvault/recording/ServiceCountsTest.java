package io.castvault.recording;

import io.castvault.core.Hashing;
import io.castvault.db.Database;
import io.castvault.db.MachineQueries;
import io.castvault.db.MachineRow;
import io.castvault.db.RemovalQueries;
import io.castvault.db.Role;
import io.castvault.db.SettingsQueries;
import io.castvault.db.TestSql;
import io.castvault.events.Outbox;
import io.castvault.storage.FaultyBlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The gauges' figures over every org, on the real PostgreSQL. */
class ServiceCountsTest {
    static Database db;

    @BeforeAll
    static void database() {
        db = TestTenant.empty(4);
    }

    @AfterAll
    static void close() {
        db.close();
    }

    /** An org recording sessions: its admin and their machine. */
    record RecordingOrg(Caller admin, UUID machineId) {
    }

    static RecordingOrg recordingOrg(Database db) {
        Organizations orgs = new Organizations(db);
        UUID org = orgs.create("counted", true);
        UUID admin = orgs.addUser(org, Role.ADMIN, null, "admin");
        UUID machine = UUID.randomUUID();
        db.inOrg(org, tx -> {
            MachineQueries.create(tx, new MachineRow(machine, org, "m", admin), Hashing.sha256(machine.toString().getBytes()));
            SettingsQueries.update(tx, true, null, null);
            return null;
        });
        return new RecordingOrg(new Caller(admin, org, Role.ADMIN), machine);
    }

    @Test
    void countsRecordingsByStatusAcrossOrgsAndTheUnpublishedEvents() {
        ServiceCounts counts = new ServiceCounts(db);
        assertEquals(new ServiceCounts.Snapshot(Map.of(), 0), counts.read());

        Recordings recordings = new Recordings(db, new FaultyBlobStore());
        RecordingOrg first = recordingOrg(db);
        RecordingOrg second = recordingOrg(db);
        // the outbox is written only while a relay runs in the process
        Outbox.enable();
        try {
            recordings.start(first.admin(), first.machineId(), "ssh", null);
            recordings.start(first.admin(), first.machineId(), "ssh", null);
            recordings.start(second.admin(), second.machineId(), "ssh", null);
        } finally {
            Outbox.release();
        }
        ServiceCounts.Snapshot now = counts.read();
        assertEquals(3L, now.recordingsByStatus().get("active"));
        assertEquals(3L, now.outboxBacklog());

        // removed by retention, its objects not yet deleted: counted as deleting until its removal is done
        db.inOrg(second.admin().orgId(), tx -> TestSql.execute(tx,
                "UPDATE session_recordings SET started_at = now() - interval '400 days'"));
        var removed = db.inOrg(second.admin().orgId(), tx -> RemovalQueries.removeExpired(tx, 10, 10));
        assertEquals(Map.of("active", 2L, "deleting", 1L), counts.read().recordingsByStatus());
        db.inOrg(second.admin().orgId(), tx -> {
            RemovalQueries.finish(tx, removed.getFirst().id());
            return null;
        });
        assertEquals(Map.of("active", 2L), counts.read().recordingsByStatus());
    }
}
