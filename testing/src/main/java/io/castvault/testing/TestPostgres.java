package io.castvault.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A real PostgreSQL for tests, reached as a role that is neither superuser nor BYPASSRLS (as in production),
 * with CREATEDB so every test class gets a fresh database.
 *
 * <p>Where it comes from, in order: {@code CASTVAULT_TEST_PG_URL/_USER/_PASSWORD} (set by scripts/test, which
 * starts the local server), else a Testcontainers PostgreSQL where Docker runs.
 */
public final class TestPostgres {
    public record Coordinates(String url, String user, String password) {
    }

    private static TestPostgres instance;

    private final String host;
    private final int port;
    private final String maintenanceUrl;
    private final String user;
    private final String password;

    private TestPostgres(String maintenanceUrl, String user, String password) {
        this.maintenanceUrl = maintenanceUrl;
        this.user = user;
        this.password = password;
        String rest = maintenanceUrl.substring("jdbc:postgresql://".length());
        String hostPort = rest.substring(0, rest.indexOf('/'));
        this.host = hostPort.contains(":") ? hostPort.substring(0, hostPort.indexOf(':')) : hostPort;
        this.port = hostPort.contains(":") ? Integer.parseInt(hostPort.substring(hostPort.indexOf(':') + 1)) : 5432;
    }

    public static synchronized TestPostgres instance() {
        if (instance == null) {
            instance = create();
        }
        return instance;
    }

    private static TestPostgres create() {
        String url = System.getenv("CASTVAULT_TEST_PG_URL");
        if (url != null && !url.isBlank()) {
            return new TestPostgres(url, System.getenv("CASTVAULT_TEST_PG_USER"), System.getenv("CASTVAULT_TEST_PG_PASSWORD"));
        }
        if (DockerClientFactory.instance().isDockerAvailable()) {
            PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine");
            container.start();
            String app = "castvault_test";
            try (Connection c = DriverManager.getConnection(container.getJdbcUrl(), container.getUsername(), container.getPassword());
                 Statement s = c.createStatement()) {
                s.execute("CREATE ROLE " + app + " LOGIN PASSWORD '" + app + "' NOSUPERUSER NOBYPASSRLS CREATEDB");
            } catch (SQLException e) {
                throw new IllegalStateException("could not prepare the PostgreSQL container", e);
            }
            String maintenance = "jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(5432) + "/postgres";
            return new TestPostgres(maintenance, app, app);
        }
        throw new IllegalStateException("No PostgreSQL for tests: run scripts/test (it starts the local server and sets "
                + "CASTVAULT_TEST_PG_URL, _USER, _PASSWORD) or make Docker available for Testcontainers");
    }

    /** A new, empty database owned by the test role; dropped when the JVM exits. */
    public Coordinates freshDatabase() {
        String name = "cv_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(maintenanceUrl, user, password);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8'");
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database", e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> drop(name)));
        return new Coordinates("jdbc:postgresql://" + host + ":" + port + "/" + name, user, password);
    }

    private void drop(String name) {
        try (Connection c = DriverManager.getConnection(maintenanceUrl, user, password);
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException ignored) {
            // the next scripts/test run sweeps leftovers
        }
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }
}
