package io.castvault.db;

import io.castvault.core.model.RecordingStatus;

import io.castvault.testing.TestPostgres;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tenant isolation enforced by PostgreSQL itself, for the role the service runs as (owner, not superuser). */
class RowLevelSecurityTest {
    static Database db;
    static UUID orgA = UUID.randomUUID();
    static UUID orgB = UUID.randomUUID();

    @BeforeAll
    static void setUp() {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 4));
        db.migrate();
        db.requireRowLevelSecurity();
        for (UUID org : List.of(orgA, orgB)) {
            UUID user = UUID.randomUUID();
            UUID machine = UUID.randomUUID();
            db.acrossOrgs(tx -> {
                OrgQueries.createOrg(tx, org, "org", Set.of("session_recording"));
                OrgQueries.upsertUser(tx, user, "u");
                return null;
            });
            db.inOrg(org, tx -> {
                OrgQueries.putMembership(tx, user, Role.ADMIN);
                MachineQueries.create(tx, new MachineRow(machine, org, "m", user), sha(machine));
                RecordingQueries.insert(tx, new RecordingQueries.NewRecording(UUID.randomUUID(), machine, user, "ssh",
                        RecordingStatus.ACTIVE, "{}"));
                return null;
            });
        }
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void everyTenantTableHasEnabledAndForcedRowLevelSecurity() {
        List<String> tenantTables = db.acrossOrgs(tx -> tx.dsl().fetch("""
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname IN ('org_id') AND NOT a.attisdropped
                WHERE n.nspname = 'public' AND c.relkind = 'r'
                UNION SELECT 'orgs'""").getValues(0, String.class));
        assertTrue(tenantTables.containsAll(List.of("orgs", "org_settings", "org_memberships", "machines",
                "session_recordings", "recording_chunks", "signing_keys", "evidence_seals", "evidence_removals",
                "evidence_digests")), tenantTables.toString());
        for (String table : tenantTables) {
            var flags = db.acrossOrgs(tx -> tx.dsl().fetchOne(
                    "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ? AND relkind = 'r'", table));
            assertEquals(true, flags.get(0, Boolean.class), table + " has row-level security enabled");
            assertEquals(true, flags.get(1, Boolean.class), table + " forces row-level security on its owner");
            int policies = db.acrossOrgs(tx -> tx.dsl().fetchOne(
                    "SELECT count(*)::int FROM pg_policies WHERE tablename = ?", table).get(0, Integer.class));
            assertTrue(policies > 0, table + " has a policy");
        }
    }

    @Test
    void theServiceRoleIsSubjectToRowLevelSecurity() {
        var role = db.acrossOrgs(tx -> tx.dsl().fetchOne(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"));
        assertFalse(role.get(0, Boolean.class));
        assertFalse(role.get(1, Boolean.class));
    }

    @Test
    void aQueryWithNoOrgSetSeesNoRows() {
        for (String table : List.of("orgs", "org_settings", "org_memberships", "machines", "session_recordings")) {
            int visible = db.unscoped(tx -> tx.dsl().fetchCount(DSL.table(DSL.name(table))));
            assertEquals(0, visible, table);
        }
    }

    @Test
    void anOrgScopedTransactionSeesOnlyItsOrgEvenWithoutAFilter() {
        for (UUID org : List.of(orgA, orgB)) {
            List<UUID> orgIds = db.inOrg(org, tx -> tx.dsl().fetch("SELECT org_id FROM session_recordings")
                    .getValues(0, UUID.class));
            assertEquals(List.of(org), orgIds);
            assertEquals(1, (int) db.inOrg(org, tx -> tx.dsl().fetchCount(DSL.table("machines"))));
        }
        assertEquals(2, (int) db.acrossOrgs(tx -> tx.dsl().fetchCount(DSL.table("session_recordings"))));
    }

    @Test
    void writesIntoAnotherOrgAreRefusedByTheDatabase() {
        UUID user = db.inOrg(orgA, tx -> tx.dsl().fetchOne("SELECT user_id FROM org_memberships").get(0, UUID.class));
        RuntimeException e = assertThrows(RuntimeException.class, () -> db.inOrg(orgA, tx -> tx.dsl().execute(
                "INSERT INTO session_recordings (id, org_id, user_id, session_type, status) VALUES (?, ?, ?, 'ssh', 'active')",
                UUID.randomUUID(), orgB, user)));
        assertTrue(String.valueOf(e.getMessage()).contains("row-level security"), e.getMessage());
        int updated = db.inOrg(orgA, tx -> tx.dsl().execute("UPDATE session_recordings SET status = 'completed' WHERE org_id = ?", orgB));
        assertEquals(0, updated);
    }

    private static byte[] sha(UUID seed) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(seed.toString().getBytes());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
