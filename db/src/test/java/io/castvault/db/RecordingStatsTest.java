package io.castvault.db;

import io.castvault.core.model.RecordingStatus;

import io.castvault.testing.TestPostgres;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.SESSION_RECORDINGS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * list's stats come from trigger-kept counters; they must always equal an aggregate over the rows themselves. The
 * statement that reads them also appends list's audit entry: exactly one per call, whatever matches.
 */
class RecordingStatsTest {
    private static Database db;
    private static final UUID ORG = UUID.randomUUID();
    private static final UUID USER = UUID.randomUUID();
    private static final UUID MACHINE_A = UUID.randomUUID();
    private static final UUID MACHINE_B = UUID.randomUUID();

    @BeforeAll
    static void setUp() {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 4));
        db.migrate();
        db.acrossOrgs(tx -> {
            OrgQueries.createOrg(tx, ORG, "stats", Set.of());
            return null;
        });
        db.inOrg(ORG, tx -> {
            OrgQueries.upsertUser(tx, USER, "u");
            OrgQueries.putMembership(tx, USER, Role.ADMIN);
            MachineQueries.create(tx, new MachineRow(MACHINE_A, ORG, "a", USER), new byte[32]);
            byte[] other = new byte[32];
            other[0] = 1;
            MachineQueries.create(tx, new MachineRow(MACHINE_B, ORG, "b", USER), other);
            return null;
        });
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void countersFollowInsertsCompletionsDeletionsAndMachineRemoval() {
        assertMatchesRows();
        List<UUID> ids = new ArrayList<>();
        db.inOrg(ORG, tx -> {
            for (int i = 0; i < 12; i++) {
                UUID id = UUID.randomUUID();
                ids.add(id);
                RecordingQueries.insert(tx, new RecordingQueries.NewRecording(id, i % 3 == 0 ? MACHINE_B : MACHINE_A,
                        USER, "ssh", RecordingStatus.ACTIVE, "{}"));
            }
            return null;
        });
        assertMatchesRows();

        db.inOrg(ORG, tx -> {
            for (int i = 0; i < 7; i++) {
                WritePathQueries.finishSeal(tx, ids.get(i), 1.25 * (i + 1), null, "{}", false);
            }
            return null;
        });
        assertMatchesRows();

        db.inOrg(ORG, tx -> {
            RecordingQueries.markDeleting(tx, ids.get(0));
            RecordingQueries.markDeleting(tx, ids.get(8));
            return null;
        });
        assertMatchesRows();

        // the delete action's row, and one turned into a removal (the sweeper's way)
        db.inOrg(ORG, tx -> WritePathQueries.deleteMarkedRow(tx, ids.get(0)));
        assertEquals(List.of(ids.get(8)), db.inOrg(ORG, tx -> RemovalQueries.removeMarked(tx, 10, 10)).stream()
                .flatMap(r -> r.recordings().stream()).map(RemovalQueries.RemovedRecording::id).toList());
        db.acrossOrgs(tx -> MachineQueries.delete(tx, MACHINE_B));
        assertMatchesRows();
    }

    private static void assertMatchesRows() {
        for (RecordingFilter f : List.of(new RecordingFilter(null, null), new RecordingFilter(MACHINE_A, null),
                new RecordingFilter(null, RecordingStatus.COMPLETED), new RecordingFilter(MACHINE_A, RecordingStatus.ACTIVE),
                new RecordingFilter(UUID.randomUUID(), null))) {
            long before = auditHead();
            AuditEntry read = new AuditEntry(ORG, "user", USER, null, "list", null, null, AuditEntry.OK, "192.0.2.7",
                    null, null, null);
            assertEquals(aggregate(f), db.inOrg(ORG, tx -> RecordingQueries.statsRecordingRead(tx, f, read)), f.toString());
            assertEquals(before + 1, auditHead(), "one audit entry per read, " + f);
            AuditRow entry = db.inOrg(ORG, tx -> AuditLog.page(tx, AuditFilter.ALL, 1, null)).getFirst();
            assertEquals(List.of("list", "u", "192.0.2.7"), List.of(entry.action(), entry.actorName(), entry.sourceIp()));
        }
        assertTrue(db.inOrg(ORG, AuditLog::verify).ok());
    }

    private static long auditHead() {
        return db.inOrg(ORG, tx -> AuditLog.head(tx).map(AuditLog.Head::seq).orElse(0L));
    }

    /** What the stats were computed from before the counters: the rows themselves. */
    private static List<StatusStats> aggregate(RecordingFilter f) {
        var r = SESSION_RECORDINGS;
        return db.inOrg(ORG, tx -> tx.dsl().select(r.STATUS, DSL.count(), DSL.coalesce(DSL.sum(r.DURATION_SECONDS), DSL.inline(java.math.BigDecimal.ZERO)))
                .from(r)
                .where(r.ORG_ID.eq(ORG).and(r.STATUS.ne(RecordingQueries.DELETING))
                        .and(f.machineId() == null ? DSL.noCondition() : r.MACHINE_ID.eq(f.machineId()))
                        .and(f.status() == null ? DSL.noCondition() : r.STATUS.eq(f.status().dbValue())))
                .groupBy(r.STATUS).orderBy(r.STATUS.desc())
                .fetch(rec -> new StatusStats(RecordingStatus.of(rec.value1()), rec.value2(), rec.value3().doubleValue())));
    }
}
