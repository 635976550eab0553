package io.castvault.api;

import io.castvault.agentingest.Machines;
import io.castvault.api.auth.Jwt;
import io.castvault.db.Database;
import io.castvault.db.DatabaseSettings;
import io.castvault.db.Role;
import io.castvault.recording.Organizations;
import io.castvault.storage.S3BlobStore;
import io.castvault.storage.S3Settings;
import io.castvault.testing.FreePort;
import io.castvault.testing.TestPostgres;
import io.castvault.testing.TestS3;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packaged service ({@code java -jar target/castvault.jar}, built by {@code package}) as a child process, the way
 * an operator runs it, on a fresh database and bucket that outlive its restarts. For the {@code *IT} tests, which
 * signal or kill it.
 */
final class PackagedService implements AutoCloseable {
    static final String JWT_SECRET = "packaged-test-secret-packaged-test-0123";

    /** An org with recording enabled, its admin and a machine, and a token of the admin. */
    record Tenant(UUID org, UUID admin, UUID machine, String token) {
    }

    private final TestPostgres.Coordinates database = TestPostgres.instance().freshDatabase();
    private final TestS3 s3 = TestS3.instance();
    private final String bucket = TestS3.freshBucketName();
    private final int port;
    private final int managementPort;
    private final Map<String, String> env;
    private final List<String> jvmOptions;
    private final List<Path> logs = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;
    private Path log;

    /**
     * @param env              environment variables beyond the coordinates, secrets and ports
     * @param jvmOptions options of the service's JVM, e.g. {@code -Dname=value} for a setting with no environment
     *                   variable
     */
    PackagedService(Map<String, String> env, List<String> jvmOptions) throws IOException {
        this.port = FreePort.pick();
        this.managementPort = FreePort.pick();
        this.env = Map.copyOf(env);
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /** Starts the jar (again, after {@link #kill}, on the same database and bucket) and waits until it is ready. */
    void start() throws Exception {
        start(Map.of());
    }

    /** As {@link #start()}, with {@code moreEnv} over the environment given at construction for this start. */
    void start(Map<String, String> moreEnv) throws Exception {
        log = Files.createTempFile("castvault-it", ".log");
        logs.add(log);
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx512m");
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", Path.of("target/castvault.jar").toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> e = pb.environment();
        e.put("PORT", Integer.toString(port));
        e.put("MANAGEMENT_PORT", Integer.toString(managementPort));
        e.put("DATABASE_URL", database.url());
        e.put("DATABASE_USER", database.user());
        e.put("DATABASE_PASSWORD", database.password());
        e.put("DATABASE_POOL_SIZE", "8");
        e.put("S3_ENDPOINT", s3.endpoint().toString());
        e.put("S3_BUCKET", bucket);
        e.put("S3_ACCESS_KEY", s3.accessKey());
        e.put("S3_SECRET_KEY", s3.secretKey());
        e.put("AUTH_JWT_SECRET", JWT_SECRET);
        e.put("CASTVAULT_MASTER_KEY", TestApp.MASTER_KEY);
        // the test servers' credentials may be development ones
        e.put("CASTVAULT_ENV", "development");
        e.putAll(env);
        e.putAll(moreEnv);
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        process = pb.start();
        waitReady();
    }

    /** {@code kill -9}: no shutdown hook, no finally block, no graceful anything. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the service outlived SIGKILL");
    }

    Process process() {
        return process;
    }

    /** The log of the latest start. */
    Path log() {
        return log;
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    TestS3 s3() {
        return s3;
    }

    /** A connection to the service's database, as the test role, for what only SQL can arrange or see. */
    Database database() {
        return Database.connect(new DatabaseSettings(database.url(), database.user(), database.password(), 2));
    }

    /** A client of the service's bucket, for looking at what it holds. */
    S3BlobStore bucket() {
        return new S3BlobStore(new S3Settings(s3.endpoint(), "us-east-1", bucket, s3.accessKey(), s3.secretKey()));
    }

    /** An org with the recording feature and recording enabled, an admin, a machine, and the admin's token. */
    Tenant provision(String name) throws Exception {
        UUID org;
        UUID admin;
        UUID machine;
        try (Database db = database()) {
            Organizations orgs = new Organizations(db);
            org = orgs.create(name, true);
            admin = orgs.addUser(org, Role.ADMIN, null, "admin");
            machine = new Machines(db).add(org, "m", admin).machineId();
        }
        String token = new Jwt(JWT_SECRET, Clock.systemUTC()).issue(admin, Duration.ofHours(1));
        HttpResponse<String> enabled = action(token, Map.of("action", "update_settings", "org_id", org.toString(),
                "recording_enabled", true));
        assertEquals(200, enabled.statusCode(), enabled.body());
        return new Tenant(org, admin, machine, token);
    }

    HttpResponse<String> action(String token, Map<String, ?> body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri("/api/session-recording")).timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(TestApp.JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> get(String path, String token) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The sum of a counter's samples on the management port's {@code /metrics}. */
    double metric(String name) throws IOException, InterruptedException {
        String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/metrics"))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private void waitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            assertTrue(process.isAlive(), () -> "the service died: " + read(log));
            try {
                if (http.send(HttpRequest.newBuilder(uri("/health/ready")).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(200);
        }
        fail("not ready in 60 s: " + read(log));
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() throws IOException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
        for (Path p : logs) {
            Files.deleteIfExists(p);
        }
    }
}
