package io.castvault.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL 15 cluster of a test's own, which the test may stop and start with {@code pg_ctl} as an operator
 * would (the shared test server must not be stopped). Made by {@code initdb} in a temporary directory, on a free
 * loopback port, with {@code fsync} off since its data is thrown away; {@link #close} stops it and deletes the
 * directory. PostgreSQL refuses to run as root, so when the tests run as root every command runs as the
 * {@code postgres} user ({@code runuser}) in a directory that user owns.
 */
public final class ThrowawayPostgres implements AutoCloseable {
    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
    private static final String APP_ROLE = "castvault_test";

    private final Path dir;
    private final Path data;
    private final int port;

    private ThrowawayPostgres(Path dir, int port) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
    }

    /** Whether this machine has the binaries (and, under root, the user) that a throwaway cluster needs. */
    public static boolean available() {
        if (!Files.isExecutable(BIN.resolve("initdb")) || !Files.isExecutable(BIN.resolve("pg_ctl"))) {
            return false;
        }
        return !asRoot() || Files.isExecutable(Path.of("/usr/sbin/runuser")) || Files.isExecutable(Path.of("/sbin/runuser"));
    }

    /** A new cluster, running, with the tests' role (neither superuser nor BYPASSRLS, as in production). */
    public static ThrowawayPostgres start() {
        Path dir;
        try {
            dir = Files.createTempDirectory("castvault-pg-");
            if (asRoot()) {
                UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
                Files.setOwner(dir, postgres);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ThrowawayPostgres pg = new ThrowawayPostgres(dir, FreePort.pick());
        try {
            pg.run(List.of(BIN.resolve("initdb").toString(), "-D", pg.data.toString(), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"));
            // the file stays the postgres user's: appended to, not replaced
            Files.writeString(pg.data.resolve("postgresql.conf"), String.join("\n",
                    "", "port = " + pg.port, "listen_addresses = '127.0.0.1'",
                    "unix_socket_directories = '" + dir + "'", "fsync = off", "synchronous_commit = off",
                    "full_page_writes = off", "shared_buffers = 16MB", "max_connections = 50", ""),
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            pg.startServer();
            try (Connection c = DriverManager.getConnection(pg.url("postgres"), "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("CREATE ROLE " + APP_ROLE + " LOGIN PASSWORD '" + APP_ROLE + "' NOSUPERUSER NOBYPASSRLS");
                s.execute("CREATE DATABASE castvault OWNER " + APP_ROLE + " TEMPLATE template0 ENCODING 'UTF8'");
            }
            return pg;
        } catch (IOException | SQLException | RuntimeException e) {
            pg.close();
            throw new IllegalStateException("could not start a throwaway PostgreSQL in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The database {@code castvault}, reached as the tests' role. */
    public TestPostgres.Coordinates database() {
        return new TestPostgres.Coordinates(url("castvault"), APP_ROLE, APP_ROLE);
    }

    public int port() {
        return port;
    }

    /** {@code pg_ctl stop -m fast}: every session is terminated, the server shuts down cleanly. */
    public void stopServer() {
        run(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "-t", "60", "stop"));
    }

    /** {@code pg_ctl start}, waiting until the server accepts connections. */
    public void startServer() {
        run(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(),
                "-w", "-t", "60", "start"));
    }

    /** Stops the server at once (its data is thrown away) and deletes the directory. */
    @Override
    public void close() {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                run(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"));
            }
        } catch (RuntimeException e) {
            System.err.println("throwaway PostgreSQL in " + dir + " did not stop: " + e.getMessage());
        } finally {
            deleteTree(dir);
        }
    }

    private String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?sslmode=disable";
    }

    /** Runs a PostgreSQL program (as the postgres user under root) and fails with its output unless it succeeds. */
    private void run(List<String> command) {
        List<String> full = new ArrayList<>();
        if (asRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        try {
            Path output = Files.createTempFile("castvault-pg-cmd", ".log");
            try {
                Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(output.toFile()).start();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", full) + " did not finish in 120 s");
                }
                if (p.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", full) + " exited with " + p.exitValue() + ": "
                            + Files.readString(output) + serverLog());
                }
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String serverLog() {
        try {
            Path log = dir.resolve("server.log");
            return Files.exists(log) ? "\nserver log:\n" + Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean asRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    System.err.println("could not delete " + p + ": " + e.getMessage());
                }
            });
        } catch (IOException e) {
            System.err.println("could not delete " + root + ": " + e.getMessage());
        }
    }
}
