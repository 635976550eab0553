package io.castvault.db;

import io.castvault.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Appending to an audit chain finds the chain's head through the (org_id, seq) index: its cost must not grow with
 * the trail. Counted with the transaction's own table statistics rather than timed.
 */
class AuditAppendTest {
    private static final int TRAIL = 5_000;
    private static Database db;
    private static final UUID ORG = UUID.randomUUID();

    @BeforeAll
    static void setUp() {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 2));
        db.migrate();
        db.acrossOrgs(tx -> {
            OrgQueries.createOrg(tx, ORG, "audit", Set.of());
            return null;
        });
        // a trail long enough that the planner would never choose to read it whole for one head
        db.inOrg(ORG, tx -> TestSql.execute(tx, "SELECT count(castvault_audit_append(?::uuid, 'system', NULL, 'system', "
                + "'seed', NULL, NULL, 'ok', NULL, NULL, NULL, '{}'::jsonb)) FROM generate_series(1, ?)", ORG, TRAIL));
        db.acrossOrgs(tx -> TestSql.execute(tx, "SELECT count(castvault_audit_append(NULL, 'anonymous', NULL, NULL, "
                + "'auth_failed', NULL, NULL, 'UNAUTHORIZED', NULL, NULL, NULL, '{}'::jsonb)) FROM generate_series(1, ?)", TRAIL));
        db.acrossOrgs(tx -> TestSql.execute(tx, "ANALYZE audit_log"));
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    private static AuditEntry entry(UUID org) {
        return new AuditEntry(org, "system", null, "system", "probe", null, null, AuditEntry.OK, null, null, null, "{}");
    }

    @Test
    void anAppendReadsNoWholeTableInAnOrgsChainOrInTheChainWithoutAnOrg() {
        long[] scans = db.inOrg(ORG, tx -> {
            long[] before = tableScans(tx);
            AuditLog.append(tx, entry(ORG));
            AuditLog.append(tx, entry(ORG));
            long[] after = tableScans(tx);
            return new long[] {after[0] - before[0], after[1] - before[1]};
        });
        assertEquals(0, scans[0], "sequential scans of audit_log while appending to an org's chain");
        assertTrue(scans[1] >= 2, "the head came from the index: " + scans[1]);
        scans = db.acrossOrgs(tx -> {
            long[] before = tableScans(tx);
            AuditLog.append(tx, entry(null));
            return new long[] {tableScans(tx)[0] - before[0]};
        });
        assertEquals(0, scans[0], "sequential scans of audit_log while appending to the chain without an org");
    }

    @Test
    void appendsContinueTheChainGapFree() {
        long before = db.inOrg(ORG, tx -> AuditLog.head(tx).orElseThrow().seq());
        db.inOrg(ORG, tx -> AuditLog.append(tx, entry(ORG)));
        long after = db.inOrg(ORG, tx -> AuditLog.head(tx).orElseThrow().seq());
        assertEquals(before + 1, after);
        assertTrue(db.inOrg(ORG, AuditLog::verify).ok());
    }

    @Test
    void appendEachWritesWhatOneAppendPerTargetWouldInListOrderPerOrg() {
        UUID other = UUID.randomUUID();
        db.acrossOrgs(tx -> {
            OrgQueries.createOrg(tx, other, "audit-other", Set.of());
            return null;
        });
        long before = db.inOrg(ORG, tx -> AuditLog.head(tx).orElseThrow().seq());
        List<UUID> ours = java.util.stream.Stream.generate(UUID::randomUUID).limit(300).toList();
        List<UUID> theirs = java.util.stream.Stream.generate(UUID::randomUUID).limit(200).toList();
        List<UUID> orgs = new java.util.ArrayList<>();
        List<UUID> targets = new java.util.ArrayList<>();
        ours.forEach(t -> { orgs.add(ORG); targets.add(t); });
        theirs.forEach(t -> { orgs.add(other); targets.add(t); });
        AuditEntry template = new AuditEntry(null, "system", null, "system", "retention_delete", "recording", null,
                AuditEntry.OK, null, null, null, "{\"retention_days\": 7}");
        long[] scans = db.acrossOrgs(tx -> {
            long[] b = tableScans(tx);
            AuditLog.appendEach(tx, template, orgs, targets);
            return new long[] {tableScans(tx)[0] - b[0]};
        });
        assertEquals(0, scans[0], "sequential scans of audit_log while appending a batch");

        // each chain goes on gap-free, in list order, and still verifies hash by hash
        List<UUID> written = db.inOrg(ORG, tx -> tx.dsl().fetch("SELECT target_id FROM audit_log WHERE org_id = ? "
                + "AND seq > ? ORDER BY seq", ORG, before).getValues(0, UUID.class));
        assertEquals(ours, written);
        assertEquals(before + ours.size(), (long) db.inOrg(ORG, tx -> AuditLog.head(tx).orElseThrow().seq()));
        assertEquals(theirs, db.inOrg(other, tx -> tx.dsl().fetch("SELECT target_id FROM audit_log WHERE org_id = ? "
                + "ORDER BY seq", other).getValues(0, UUID.class)));
        AuditLog.Verification ok = db.inOrg(ORG, AuditLog::verify);
        assertTrue(ok.ok(), ok.findings().toString());
        assertTrue(db.inOrg(other, AuditLog::verify).ok());
        // and a single append after the batch continues its chain
        db.inOrg(other, tx -> AuditLog.append(tx, entry(other)));
        assertTrue(db.inOrg(other, AuditLog::verify).ok());
        assertEquals(201L, (long) db.inOrg(other, tx -> AuditLog.head(tx).orElseThrow().seq()));
    }

    /** Sequential and index scans of audit_log in this transaction so far. */
    private static long[] tableScans(Tx tx) {
        var r = tx.dsl().fetchOne("SELECT coalesce(seq_scan, 0), coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables "
                + "WHERE relname = 'audit_log'");
        return new long[] {r.get(0, Long.class), r.get(1, Long.class)};
    }
}
