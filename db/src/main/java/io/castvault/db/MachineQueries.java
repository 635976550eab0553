package io.castvault.db;

import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.MACHINES;
import static io.castvault.db.jooq.Tables.ORGS;

public final class MachineQueries {
    private MachineQueries() {
    }

    public static void create(Tx tx, MachineRow machine, byte[] nodeKeyHash) {
        tx.dsl().insertInto(MACHINES, MACHINES.ID, MACHINES.ORG_ID, MACHINES.NAME, MACHINES.OWNER_ID, MACHINES.NODE_KEY_HASH)
                .values(machine.id(), machine.orgId(), machine.name(), machine.ownerId(), nodeKeyHash)
                .execute();
    }

    public static Optional<MachineRow> find(Tx tx, UUID machineId) {
        return tx.dsl().selectFrom(MACHINES).where(MACHINES.ID.eq(machineId))
                .fetchOptional(r -> new MachineRow(r.getId(), r.getOrgId(), r.getName(), r.getOwnerId()));
    }

    /** The machine holding this node-key hash, in any org, with its org's features: needs an all-orgs transaction. */
    public static Optional<NodeKeyMachine> findByNodeKeyHash(Tx tx, byte[] nodeKeyHash) {
        return tx.dsl().select(MACHINES.ID, MACHINES.ORG_ID, MACHINES.NAME, MACHINES.OWNER_ID, MACHINES.NODE_KEY_HASH,
                        ORGS.FEATURES)
                .from(MACHINES).join(ORGS).on(ORGS.ID.eq(MACHINES.ORG_ID))
                .where(MACHINES.NODE_KEY_HASH.eq(nodeKeyHash))
                .fetchOptional(r -> new NodeKeyMachine(new MachineRow(r.value1(), r.value2(), r.value3(), r.value4()),
                        r.value5(), Set.copyOf(Arrays.asList(r.value6()))));
    }

    /**
     * Holds the machine for the rest of the transaction so a row referencing it can be inserted; a concurrent
     * delete waits for the commit. False when the machine is gone.
     */
    public static boolean lockForReference(Tx tx, UUID machineId) {
        return tx.dsl().select(MACHINES.ID).from(MACHINES).where(MACHINES.ID.eq(machineId)).forKeyShare()
                .fetchOptional().isPresent();
    }

    public static boolean delete(Tx tx, UUID machineId) {
        return tx.dsl().deleteFrom(MACHINES).where(MACHINES.ID.eq(machineId)).execute() == 1;
    }
}
