package io.castvault.agentingest;

import io.castvault.core.CastvaultException;
import io.castvault.db.Database;
import io.castvault.db.MachineQueries;
import io.castvault.db.MachineRow;
import io.castvault.db.OrgQueries;
import io.castvault.recording.Audit;

import java.util.UUID;

/**
 * The operator's machine writes (the admin CLI, fixtures). A machine's node key is made here and shown once:
 * only its hash is stored. Each write leaves its entry in the org's audit trail, in the same transaction.
 */
public final class Machines {
    /** A new machine and its node key, the only time the key is known. */
    public record NewMachine(UUID machineId, String nodeKey) {
    }

    private final Database db;

    public Machines(Database db) {
        this.db = db;
    }

    /** The owner must already be a member of the org: the machine's recordings become theirs. */
    public NewMachine add(UUID orgId, String name, UUID ownerId) {
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

    /** Its key stops working at once; its recordings stay, without their machine. */
    public void delete(UUID machineId) {
        // the operator names only the machine, so its org is found across all of them
        db.acrossOrgs(tx -> {
            UUID orgId = MachineQueries.find(tx, machineId).map(MachineRow::orgId)
                    .orElseThrow(() -> CastvaultException.notFound("machine " + machineId));
            if (!MachineQueries.delete(tx, machineId)) {
                throw CastvaultException.notFound("machine " + machineId);
            }
            Audit.machineDeleted(tx, orgId, machineId);
            return null;
        });
    }
}
