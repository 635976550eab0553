package io.castvault.agentingest;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.AuditFilter;
import io.castvault.db.AuditLog;
import io.castvault.db.AuditRow;
import io.castvault.db.Database;
import io.castvault.db.DatabaseSettings;
import io.castvault.db.MachineQueries;
import io.castvault.db.MachineRow;
import io.castvault.db.Role;
import io.castvault.db.TestSql;
import io.castvault.recording.Organizations;
import io.castvault.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator's machine writes on the real PostgreSQL with row-level security on. */
class MachinesTest {
    static Database db;
    static Organizations orgs;
    static Machines machines;

    @BeforeAll
    static void start() {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 4));
        db.migrate();
        orgs = new Organizations(db);
        machines = new Machines(db);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    static CastvaultException refused(ErrorCode code, Runnable call) {
        CastvaultException e = assertThrows(CastvaultException.class, call::run);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    static List<AuditRow> trail(UUID orgId) {
        return db.inOrg(orgId, tx -> AuditLog.page(tx, AuditFilter.ALL, 100, null));
    }

    @Test
    void anAddedMachineIsFoundByItsNodeKeyAndAudited() {
        UUID org = orgs.create("fleet", true);
        UUID owner = orgs.addUser(org, Role.MEMBER, null, "owner");
        Machines.NewMachine m = machines.add(org, "build-01", owner);

        assertEquals(64, m.nodeKey().length());
        assertEquals(new MachineRow(m.machineId(), org, "build-01", owner),
                db.inOrg(org, tx -> MachineQueries.find(tx, m.machineId())).orElseThrow());
        assertEquals(m.machineId(), new NodeKeyDirectory(db, Duration.ZERO).find(m.nodeKey()).orElseThrow().machine().id());

        List<AuditRow> trail = trail(org);
        assertEquals(1, trail.size());
        AuditRow added = trail.get(0);
        assertEquals("add_machine", added.action());
        assertEquals("system", added.actorType());
        assertEquals("operator-cli", added.actorName());
        assertEquals("machine", added.targetType());
        assertEquals(m.machineId(), added.targetId());
        assertEquals("ok", added.outcome());
        assertTrue(added.detailsJson().contains("build-01"), added.detailsJson());
    }

    @Test
    void anOwnerWhoIsNotAMemberIsInvalidInput() {
        UUID org = orgs.create("strict", true);
        UUID otherOrg = orgs.create("elsewhere", true);
        UUID stranger = orgs.addUser(otherOrg, Role.ADMIN, null, "stranger");
        CastvaultException e = refused(ErrorCode.INVALID_INPUT, () -> machines.add(org, "box", stranger));
        assertEquals("owner " + stranger + " is not a member of org " + org, e.getMessage());
        assertEquals(0, machineCount(org));
        assertEquals(List.of(), trail(org));
    }

    @Test
    void anUnknownOrgIsNotFound() {
        UUID unknown = UUID.randomUUID();
        refused(ErrorCode.NOT_FOUND, () -> machines.add(unknown, "box", UUID.randomUUID()));
        assertEquals(0, machineCount(unknown));
    }

    @Test
    void aDeletedMachineIsGoneWithItsKeyAndAudited() {
        UUID org = orgs.create("shrinking", true);
        UUID owner = orgs.addUser(org, Role.ADMIN, null, "owner");
        Machines.NewMachine m = machines.add(org, "old-box", owner);
        machines.delete(m.machineId());

        assertTrue(db.inOrg(org, tx -> MachineQueries.find(tx, m.machineId())).isEmpty());
        assertTrue(new NodeKeyDirectory(db, Duration.ZERO).find(m.nodeKey()).isEmpty());
        // newest first
        List<AuditRow> trail = trail(org);
        assertEquals(List.of("delete_machine", "add_machine"), trail.stream().map(AuditRow::action).toList());
        assertEquals(m.machineId(), trail.get(0).targetId());
    }

    @Test
    void deletingAnUnknownMachineIsNotFoundAndLeavesNoEntry() {
        UUID org = orgs.create("untouched", true);
        UUID owner = orgs.addUser(org, Role.ADMIN, null, "owner");
        Machines.NewMachine kept = machines.add(org, "kept", owner);
        UUID unknown = UUID.randomUUID();
        CastvaultException e = refused(ErrorCode.NOT_FOUND, () -> machines.delete(unknown));
        assertTrue(e.getMessage().contains(unknown.toString()), e.getMessage());
        assertEquals(List.of("add_machine"), trail(org).stream().map(AuditRow::action).toList());
        assertTrue(db.inOrg(org, tx -> MachineQueries.find(tx, kept.machineId())).isPresent());
    }

    static long machineCount(UUID orgId) {
        return db.acrossOrgs(tx -> TestSql.count(tx, "SELECT count(*) FROM machines WHERE org_id = ?", orgId));
    }
}
