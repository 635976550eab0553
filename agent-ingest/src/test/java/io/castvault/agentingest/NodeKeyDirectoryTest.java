package io.castvault.agentingest;

import io.castvault.db.Database;
import io.castvault.db.DatabaseSettings;
import io.castvault.db.MachineQueries;
import io.castvault.db.MachineRow;
import io.castvault.db.NodeKeyMachine;
import io.castvault.db.OrgQueries;
import io.castvault.db.Role;
import io.castvault.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Node-key lookups against a real PostgreSQL with row-level security on. */
class NodeKeyDirectoryTest {
    static Database db;

    @BeforeAll
    static void start() {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 4));
        db.migrate();
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    record Machine(UUID orgId, UUID machineId, UUID ownerId, String nodeKey) {
    }

    static Machine newMachine(Set<String> features) {
        UUID org = UUID.randomUUID();
        UUID owner = UUID.randomUUID();
        UUID machine = UUID.randomUUID();
        String key = NodeKeys.generate();
        db.acrossOrgs(tx -> {
            OrgQueries.createOrg(tx, org, "org", features);
            return null;
        });
        db.inOrg(org, tx -> {
            OrgQueries.upsertUser(tx, owner, "owner");
            OrgQueries.putMembership(tx, owner, Role.MEMBER);
            MachineQueries.create(tx, new MachineRow(machine, org, "box", owner), NodeKeys.hash(key));
            return null;
        });
        return new Machine(org, machine, owner, key);
    }

    @Test
    void findsTheMachineInAnyOrgWithItsOrgsFeatures() {
        Machine m = newMachine(Set.of(OrgQueries.RECORDING_FEATURE, "other"));
        Machine plain = newMachine(Set.of());
        NodeKeyDirectory keys = new NodeKeyDirectory(db, Duration.ofMinutes(5));
        NodeKeyMachine found = keys.find(m.nodeKey()).orElseThrow();
        assertEquals(m.machineId(), found.machine().id());
        assertEquals(m.orgId(), found.machine().orgId());
        assertEquals(m.ownerId(), found.machine().ownerId());
        assertEquals("box", found.machine().name());
        assertEquals(Set.of(OrgQueries.RECORDING_FEATURE, "other"), found.orgFeatures());
        assertEquals(Set.of(), keys.find(plain.nodeKey()).orElseThrow().orgFeatures());
        assertTrue(keys.find(NodeKeys.generate()).isEmpty());
        assertTrue(keys.find(m.nodeKey().toUpperCase()).isEmpty(), "the key string is hashed exactly as issued");
    }

    @Test
    void aDeletedMachineIsGoneOnceTheCacheIsInvalidated() {
        Machine m = newMachine(Set.of(OrgQueries.RECORDING_FEATURE));
        NodeKeyDirectory keys = new NodeKeyDirectory(db, Duration.ofMinutes(5));
        assertTrue(keys.find(m.nodeKey()).isPresent());
        db.acrossOrgs(tx -> MachineQueries.delete(tx, m.machineId()));
        // still cached: the change listener is what empties the cache in the service
        assertTrue(keys.find(m.nodeKey()).isPresent());
        keys.invalidateAll();
        assertTrue(keys.find(m.nodeKey()).isEmpty());
        // a machine added meanwhile is seen after the next invalidation
        Machine later = newMachine(Set.of());
        keys.invalidateAll();
        assertTrue(keys.find(later.nodeKey()).isPresent());
    }
}
