package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.agentingest.Machines;
import io.castvault.api.auth.Jwt;
import io.castvault.db.Database;
import io.castvault.db.Role;
import io.castvault.recording.Organizations;
import io.castvault.storage.BlobStore;
import io.castvault.testing.FreePort;
import io.castvault.testing.TcpRelay;
import io.castvault.testing.TestPostgres;
import io.castvault.testing.TestS3;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The real service on a random port, against a fresh PostgreSQL database and a fresh bucket on the real S3
 * server (optionally reached through a {@link TcpRelay} that a test can cut), with an HTTP client and fixtures.
 */
public final class TestApp implements AutoCloseable {
    public static final String JWT_SECRET = "test-secret-test-secret-test-secret-0123";
    public static final ObjectMapper JSON = new ObjectMapper();
    /** 32 fixed bytes: tests run as production would, with a configured master key. */
    public static final String MASTER_KEY = "Y2FzdHZhdWx0LXRlc3QtbWFzdGVyLWtleS0zMmJ5dGU=";

    private final ApplicationContext context;
    private final EmbeddedServer server;
    private final TcpRelay relay;
    private TcpRelay databaseRelay;
    /**
     * With a database relay: a direct session for the app's lifetime, because while the relay is cut the database
     * would have none, and a scripts/test run of another checkout drops idle cv_test_* databases.
     */
    private java.sql.Connection keepAlive;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final int managementPort;
    private final java.util.List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.List<OpenApiConformance.Checked> checked = new java.util.concurrent.CopyOnWriteArrayList<>();

    private TestApp(EmbeddedServer server, TcpRelay relay, int managementPort) {
        this.server = server;
        this.context = server.getApplicationContext();
        this.relay = relay;
        this.managementPort = managementPort;
    }

    public static TestApp start() {
        return start(Map.of(), false);
    }

    /** The service reaches the object store only through a relay the test can cut ({@link #relay()}). */
    public static TestApp startBehindRelay() {
        return start(Map.of(), true);
    }

    /**
     * The service reaches PostgreSQL only through a relay ({@link #databaseRelay()}), in plain text so that the
     * relay can recognise a reply (to lose the one to a COMMIT).
     */
    public static TestApp startWithDatabaseRelay(Map<String, Object> extraProperties) {
        return startWithDatabaseRelay(extraProperties, false);
    }

    /** As above, and with {@code behindRelay} the object store too is reached through a relay ({@link #relay()}). */
    public static TestApp startWithDatabaseRelay(Map<String, Object> extraProperties, boolean behindRelay) {
        TestPostgres.Coordinates db = TestPostgres.instance().freshDatabase();
        TcpRelay dbRelay;
        try {
            dbRelay = new TcpRelay(URI.create("http://" + TestPostgres.instance().host() + ":" + TestPostgres.instance().port()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String url = db.url().replaceFirst("//[^/]+/", "//127.0.0.1:" + dbRelay.uri().getPort() + "/");
        url += (url.contains("?") ? "&" : "?") + "sslmode=disable";
        Map<String, Object> props = new HashMap<>(extraProperties);
        props.put("castvault.database.url", url);
        TestApp app = start(db, props, behindRelay, true);
        app.databaseRelay = dbRelay;
        try {
            app.keepAlive = java.sql.DriverManager.getConnection(db.url(), db.user(), db.password());
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("a direct session to the test database", e);
        }
        return app;
    }

    public TcpRelay databaseRelay() {
        return databaseRelay;
    }

    public static TestApp start(Map<String, Object> extraProperties, boolean behindRelay) {
        return start(TestPostgres.instance().freshDatabase(), extraProperties, behindRelay, true);
    }

    /**
     * As a bare {@code java -jar} or a container runs the service: without {@code CASTVAULT_ENV}, so in production
     * (the test servers' credentials and {@link #JWT_SECRET} are no built-in development values).
     */
    public static TestApp startWithoutEnvironment(Map<String, Object> extraProperties) {
        return start(TestPostgres.instance().freshDatabase(), extraProperties, false, false);
    }

    private static TestApp start(TestPostgres.Coordinates db, Map<String, Object> extraProperties, boolean behindRelay,
                                 boolean development) {
        TestS3 s3 = TestS3.instance();
        TcpRelay relay = null;
        URI endpoint = s3.endpoint();
        if (behindRelay) {
            try {
                relay = new TcpRelay(s3.endpoint());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            endpoint = relay.uri();
        }
        Map<String, Object> props = new HashMap<>();
        props.put("micronaut.server.port", -1);
        int managementPort = FreePort.pick();
        // the management listener needs a fixed port (Micronaut binds no random one for it)
        props.put("endpoints.all.port", managementPort);
        props.put("castvault.database.url", db.url());
        props.put("castvault.database.user", db.user());
        props.put("castvault.database.password", db.password());
        props.put("castvault.database.pool-size", 8);
        props.put("castvault.s3.endpoint", endpoint.toString());
        props.put("castvault.s3.bucket", TestS3.freshBucketName());
        props.put("castvault.s3.access-key", s3.accessKey());
        props.put("castvault.s3.secret-key", s3.secretKey());
        props.put("castvault.auth.jwt-secret", JWT_SECRET);
        if (development) {
            // the test servers' credentials are development ones
            props.put("castvault.env", "development");
        }
        // tests run the sweeper themselves
        props.put("castvault.retention.initial-delay", "1h");
        props.put("castvault.evidence.initial-delay", "1h");
        props.put("castvault.evidence.master-key", MASTER_KEY);
        props.putAll(extraProperties);
        return new TestApp(ApplicationContext.run(EmbeddedServer.class, props), relay, managementPort);
    }

    /** A URL on the management port ({@code /metrics}). */
    public URI managementUrl(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    public URI url(String path) {
        return URI.create(server.getURL() + path);
    }

    public Database db() {
        return context.getBean(Database.class);
    }

    /** Waits (up to 10 s) until the sealed recording's chunk objects are deleted and its row says so. */
    public void awaitChunksCleared(java.util.UUID recordingId) {
        EventStream.await("the chunk objects of " + recordingId + " deleted after its seal", java.time.Duration.ofSeconds(10),
                () -> "true".equals(db().acrossOrgs(tx -> io.castvault.db.TestSql.text(tx,
                        "SELECT coalesce((SELECT chunks_cleared FROM session_recordings WHERE id = ?), true)::text",
                        recordingId))));
    }

    public BlobStore blobs() {
        return context.getBean(BlobStore.class);
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    /**
     * The operator's org writes as the admin CLI makes them: from outside the service, which learns of them only
     * through its change listener.
     */
    public Organizations organizations() {
        return new Organizations(db());
    }

    /** The operator's machine writes, made the way the admin CLI makes them. */
    public Machines machines() {
        return new Machines(db());
    }

    public TcpRelay relay() {
        if (relay == null) {
            throw new IllegalStateException("start with startBehindRelay()");
        }
        return relay;
    }

    public String token(UUID userId) {
        return context.getBean(Jwt.class).issue(userId, Duration.ofHours(1));
    }

    public record Response(int status, JsonNode json, String body, HttpResponse<byte[]> raw) {
        public JsonNode data() {
            return json.get("data");
        }

        public String errorCode() {
            return json.path("error").path("code").asText(null);
        }
    }

    /** POST /api/session-recording with a bearer token (null for none). */
    public Response action(String token, Map<String, ?> body) {
        try {
            return post("/api/session-recording", token, JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response post(String path, String token, String rawBody) {
        return post(path, token, rawBody, "application/json");
    }

    Response post(String path, String token, String rawBody, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(rawBody));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return send(b.build(), rawBody);
    }

    public Response get(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(60)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return send(b.build());
    }

    public Response send(HttpRequest request) {
        return send(request, null);
    }

    /** Sends and holds the answer to openapi.yaml ({@code requestBody}: what was sent, when it is text). */
    public Response send(HttpRequest request, String requestBody) {
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            String body = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
            JsonNode json = null;
            String type = r.headers().firstValue("content-type").orElse("");
            if (type.contains("json")) {
                json = JSON.readTree(body);
            }
            if (request.uri().getPort() == server.getPort()) {
                violations.addAll(OpenApiConformance.instance().check(request.method(), request.uri().getPath(), requestBody,
                        r.statusCode(), r.headers().firstValue("content-type").orElse(null),
                        r.headers().firstValue("X-Request-Id").orElse(null), body, checked));
            }
            return new Response(r.statusCode(), json, body, r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An org with the feature, recording enabled or not, an admin, a member, an auditor and a machine. */
    public TestOrg newOrg(boolean recordingEnabled) {
        Organizations orgs = organizations();
        UUID org = orgs.create("org-" + UUID.randomUUID(), true);
        UUID admin = orgs.addUser(org, Role.ADMIN, null, "admin");
        UUID member = orgs.addUser(org, Role.MEMBER, null, "member");
        UUID auditor = orgs.addUser(org, Role.AUDITOR, null, "auditor");
        Machines.NewMachine machine = machines().add(org, "Linux-C", member);
        TestOrg t = new TestOrg(this, org, admin, member, auditor, machine);
        if (recordingEnabled) {
            Response r = t.asAdmin(Map.of("action", "update_settings", "recording_enabled", true));
            if (r.status() != 200) {
                throw new IllegalStateException("could not enable recording: " + r.body());
            }
        }
        return t;
    }

    public static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** Every answer this app gave that was held to openapi.yaml. */
    public java.util.List<OpenApiConformance.Checked> checked() {
        return checked;
    }

    /** Fails (after stopping the service) when an answer received did not conform to openapi.yaml. */
    @Override
    public void close() throws IOException {
        server.close();
        if (relay != null) {
            relay.close();
        }
        if (databaseRelay != null) {
            databaseRelay.close();
        }
        if (keepAlive != null) {
            try {
                keepAlive.close();
            } catch (java.sql.SQLException ignored) {
                // the session ends with the test JVM anyway
            }
        }
        if (!violations.isEmpty()) {
            throw new AssertionError("answers that openapi.yaml does not describe:\n  " + String.join("\n  ", violations));
        }
    }
}
