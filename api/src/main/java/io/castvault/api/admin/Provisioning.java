package io.castvault.api.admin;

import io.castvault.agentingest.NodeKeys;
import io.castvault.api.auth.AccessResolver;
import io.castvault.core.CastvaultException;
import io.castvault.db.Database;
import io.castvault.db.MachineQueries;
import io.castvault.db.MachineRow;
import io.castvault.db.OrgQueries;
import io.castvault.db.Role;
import io.castvault.recording.Audit;

import java.util.Set;
import java.util.UUID;

/** The operator's writes (orgs, users, machines), shared by the admin CLI and the tests that need fixtures. */
public final class Provisioning {
    private final Database db;

    public Provisioning(Database db) {
        this.db = db;
    }

    public record NewMachine(UUID machineId, String nodeKey) {
    }

    public UUID createOrg(String name, boolean withFeature) {
        UUID id = UUID.randomUUID();
        Set<String> features = withFeature ? Set.of(AccessResolver.FEATURE) : Set.of();
        db.acrossOrgs(tx -> {
            OrgQueries.createOrg(tx, id, name, features);
            return null;
        });
        return id;
    }

    /** Adds (or changes) a membership, creating the user when new. */
    public UUID addUser(UUID orgId, Role role, UUID userId, String name) {
        UUID user = userId != null ? userId : UUID.randomUUID();
        db.inOrg(orgId, tx -> {
            if (!OrgQueries.orgExists(tx, orgId)) {
                throw CastvaultException.notFound("org " + orgId);
            }
            OrgQueries.upsertUser(tx, user, name);
            OrgQueries.putMembership(tx, user, role);
            return null;
        });
        return user;
    }

    public NewMachine addMachine(UUID orgId, String name, UUID ownerId) {
        String nodeKey = NodeKeys.generate();
        UUID id = UUID.randomUUID();
        db.inOrg(orgId, tx -> {
            if (!OrgQueries.orgExists(tx, orgId)) {
                throw CastvaultException.notFound("org " + orgId);
            }
            if (OrgQueries.access(tx, ownerId).isEmpty()) {
                throw CastvaultException.invalid("owner " + ownerId + " is not a member of org " + orgId);
            }
            MachineQueries.create(tx, new MachineRow(id, orgId, name, ownerId), NodeKeys.hash(nodeKey));
            Audit.machineAdded(tx, orgId, id, name);
            return null;
        });
        return new NewMachine(id, nodeKey);
    }

    public void deleteMachine(UUID machineId) {
        db.acrossOrgs(tx -> {
            Audit.machineDeleting(tx, machineId);
            if (!MachineQueries.delete(tx, machineId)) {
                throw CastvaultException.notFound("machine " + machineId);
            }
            return null;
        });
    }
}
