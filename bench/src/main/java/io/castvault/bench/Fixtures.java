package io.castvault.bench;

import io.castvault.agentingest.Machines;
import io.castvault.api.auth.Jwt;
import io.castvault.db.Database;
import io.castvault.db.DatabaseSettings;
import io.castvault.db.Role;
import io.castvault.recording.Organizations;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Orgs, users, machines and tokens made the way scripts/admin makes them (the same {@link Organizations} and {@link Machines}), plus
 * plain JDBC connections for bulk seeding.
 */
final class Fixtures implements AutoCloseable {
    private final BenchConfig cfg;
    private final Database db;
    private final Jwt jwt;
    private final ServiceClient service;

    Fixtures(BenchConfig cfg, ServiceClient service) {
        this.cfg = cfg;
        this.db = Database.connect(new DatabaseSettings(cfg.databaseUrl(), cfg.databaseUser(), cfg.databasePassword(), 2));
        this.jwt = new Jwt(cfg.jwtSecret(), Clock.systemUTC());
        this.service = service;
    }

    /** An org with the recording feature and recording enabled, an admin with a token, and its machines. */
    record Org(UUID id, UUID admin, String token, List<UUID> machines, List<String> nodeKeys) {
    }

    Org org(String name, int machines, Integer retentionDays) throws Exception {
        Organizations orgs = new Organizations(db);
        UUID org = orgs.create(name, true);
        UUID admin = orgs.addUser(org, Role.ADMIN, null, name + " admin");
        Machines machineWrites = new Machines(db);
        List<UUID> ids = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < machines; i++) {
            Machines.NewMachine m = machineWrites.add(org, name + "-machine-" + i, admin);
            ids.add(m.machineId());
            keys.add(m.nodeKey());
        }
        String token = jwt.issue(admin, Duration.ofHours(3));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("action", "update_settings");
        settings.put("org_id", org.toString());
        settings.put("recording_enabled", true);
        if (retentionDays != null) {
            settings.put("retention_days", retentionDays);
        }
        service.action(token, settings).data();
        return new Org(org, admin, token, List.copyOf(ids), List.copyOf(keys));
    }

    /** A new recording started through the service; returns its id. */
    UUID start(Org org) throws Exception {
        return UUID.fromString(service.action(org.token(), Map.of("action", "start", "org_id", org.id().toString(),
                "machine_id", org.machines().get(0).toString(), "session_type", "ssh")).data().get("session_id").asText());
    }

    /**
     * A JDBC connection as the database owner that sees every org. Row-level security is forced on the owner too,
     * so without castvault.all_orgs it would see (and be allowed to write) nothing.
     */
    Connection seedingConnection() throws SQLException {
        Connection c = DriverManager.getConnection(cfg.databaseUrl(), cfg.databaseUser(), cfg.databasePassword());
        try (Statement s = c.createStatement()) {
            s.execute("SELECT set_config('castvault.all_orgs', 'on', false)");
        }
        return c;
    }

    @Override
    public void close() {
        db.close();
    }
}
