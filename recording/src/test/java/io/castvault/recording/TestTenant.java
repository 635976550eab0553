package io.castvault.recording;

import io.castvault.core.Hashing;
import io.castvault.db.Database;
import io.castvault.db.DatabaseSettings;
import io.castvault.db.MachineQueries;
import io.castvault.db.MachineRow;
import io.castvault.db.OrgQueries;
import io.castvault.db.Role;
import io.castvault.db.SettingsQueries;
import io.castvault.testing.TestPostgres;

import java.util.Set;
import java.util.UUID;

/** Fresh migrated databases for the recording module's tests, empty or holding one recording org. */
final class TestTenant {
    private TestTenant() {
    }

    /** A fresh database with the schema and nothing in it. */
    static Database empty(int poolSize) {
        return empty(TestPostgres.instance().freshDatabase(), poolSize);
    }

    /** The database at {@code c} migrated, with nothing in it. */
    static Database empty(TestPostgres.Coordinates c, int poolSize) {
        Database db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), poolSize));
        db.migrate();
        return db;
    }

    /** A fresh database with one recording org, its admin and a machine. */
    static Database database(String orgName, UUID org, UUID admin, UUID machine) {
        return database(TestPostgres.instance().freshDatabase(), orgName, org, admin, machine);
    }

    /** The database at {@code c} with one recording org, its admin and a machine. */
    static Database database(TestPostgres.Coordinates c, String orgName, UUID org, UUID admin, UUID machine) {
        Database db = empty(c, 8);
        db.acrossOrgs(tx -> {
            OrgQueries.createOrg(tx, org, orgName, Set.of(OrgQueries.RECORDING_FEATURE));
            return null;
        });
        db.inOrg(org, tx -> {
            OrgQueries.upsertUser(tx, admin, "admin");
            OrgQueries.putMembership(tx, admin, Role.ADMIN);
            MachineQueries.create(tx, new MachineRow(machine, org, "m", admin), Hashing.sha256(machine.toString().getBytes()));
            SettingsQueries.update(tx, true, null, null);
            return null;
        });
        return db;
    }
}
