package io.castvault.api;

import io.castvault.recording.RetentionService;
import io.castvault.storage.AddressPolicy;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.S3BlobStore;
import io.castvault.storage.S3Settings;
import io.castvault.storage.StoreRoot;
import io.castvault.testing.FreePort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 18: an org's recordings in its own bucket, on a second real S3 server (S3Proxy, a child process). */
class CustomStorageTest {
    private static final String ACCESS = "org-access-key-1";
    private static final String SECRET = "org-secret-key-1-do-not-leak";
    private static TestApp app;
    private static Process orgS3;
    private static URI orgEndpoint;

    @BeforeAll
    static void start() throws Exception {
        app = TestApp.start();
        orgS3 = startS3Proxy();
    }

    @AfterAll
    static void stop() throws Exception {
        if (orgS3 != null) {
            orgS3.destroyForcibly();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void newRecordingsGoToTheOrgsBucketOnlyAndEveryRecordingKeepsWorkingAcrossSwitches() {
        TestOrg org = app.newOrg(true);
        String bucket = freshBucket();
        UUID before = recording(org, "before");
        TestApp.Response saved = org.asAdmin(custom(bucket, "tenant-a/recordings", SECRET));
        assertEquals(200, saved.status(), saved.body());
        UUID inCustom = recording(org, "custom");
        assertEquals(200, org.asAdmin(Map.of("action", "update_settings", "storage_mode", "platform")).status());
        UUID after = recording(org, "after");
        // back to custom without sending the store again: the saved one is used
        assertEquals(200, org.asAdmin(Map.of("action", "update_settings", "storage_mode", "custom")).status());
        UUID custom2 = recording(org, "custom again");

        try (S3BlobStore orgStore = orgStore(bucket, "tenant-a/recordings/")) {
            S3BlobStore platform = app.bean(S3BlobStore.class);
            for (UUID id : List.of(inCustom, custom2)) {
                assertFalse(keys(orgStore, org.orgId(), id).isEmpty(), "a custom recording is in the org's bucket");
                assertTrue(orgStore.head(ObjectKey.manifest(org.orgId(), id)).isPresent(), "with its manifest");
                assertTrue(keys(platform, org.orgId(), id).isEmpty(), "and nothing of it in the platform bucket");
            }
            for (UUID id : List.of(before, after)) {
                assertTrue(keys(orgStore, org.orgId(), id).isEmpty(), "switching affects new recordings only");
                assertFalse(keys(platform, org.orgId(), id).isEmpty());
            }

            for (UUID id : List.of(before, inCustom, after, custom2)) {
                TestApp.Response cast = org.cast(org.adminId(), id);
                assertEquals(200, cast.status(), cast.body());
                assertTrue(cast.body().contains("chunk"), cast.body());
                TestApp.Response verified = org.asAuditor(Map.of("action", "verify", "session_id", id.toString()));
                assertEquals(200, verified.status(), verified.body());
                assertTrue(verified.data().get("ok").asBoolean(), verified.body());
            }
            TestApp.Response all = org.asAuditor(Map.of("action", "verify"));
            assertTrue(all.data().get("ok").asBoolean(), all.body());

            TestApp.Response deleted = org.asAdmin(Map.of("action", "delete", "session_id", custom2.toString()));
            assertEquals(200, deleted.status(), deleted.body());
            assertTrue(keys(orgStore, org.orgId(), custom2).isEmpty(), "delete removes the objects in the org's bucket");

            // retention removes expired recordings from whichever store holds them
            assertEquals(200, org.asAdmin(Map.of("action", "update_settings", "retention_days", 1)).status());
            for (UUID id : List.of(before, inCustom)) {
                app.db().inOrg(org.orgId(), tx -> io.castvault.db.TestSql.execute(tx,
                        "UPDATE session_recordings SET started_at = now() - interval '3 days' WHERE id = ?", id));
            }
            app.bean(RetentionService.class).sweep();
            assertTrue(keys(orgStore, org.orgId(), inCustom).isEmpty(), "retention empties the org's bucket");
            assertTrue(keys(platform, org.orgId(), before).isEmpty(), "and the platform bucket");
            assertEquals(404, org.cast(org.adminId(), inCustom).status());
            assertEquals(200, org.cast(org.adminId(), after).status());
            TestApp.Response afterRemovals = org.asAuditor(Map.of("action", "verify"));
            assertTrue(afterRemovals.data().get("ok").asBoolean(), afterRemovals.body());
        }
    }

    @Test
    void anAgentUploadOfACustomOrgGoesToTheOrgsBucket() throws Exception {
        TestOrg org = app.newOrg(true);
        String bucket = freshBucket();
        assertEquals(200, org.asAdmin(custom(bucket, "agents", SECRET)).status());
        Map<String, Double> before = OperationsTest.scrape(app);
        TestApp.Response r = AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(),
                "[0, \"o\", \"$ uname\\n\"]\n[0.5, \"o\", \"Linux\\n\"]", 1.0), null);
        assertEquals(201, r.status(), r.body());
        UUID id = UUID.fromString(r.data().get("session_id").asText());
        // the cast and its summary, metered as calls to an org's own store
        assertTrue(delta(before, OperationsTest.scrape(app), "castvault_store_calls_seconds_count", "store=\"custom\"",
                "operation=\"put_file\"", "outcome=\"ok\"") >= 1);
        TestApp.Response listed = org.asAuditor(Map.of("action", "list"));
        assertEquals("custom", listed.data().get("recordings").get(0).get("storage").asText(), listed.body());
        try (S3BlobStore orgStore = orgStore(bucket, "agents/")) {
            assertTrue(orgStore.head(ObjectKey.cast(org.orgId(), id)).isPresent(), "the sealed cast is in the org's bucket");
            assertTrue(keys(app.bean(S3BlobStore.class), org.orgId(), id).isEmpty(), "and nothing of it in the platform bucket");
        }
        TestApp.Response cast = org.cast(org.adminId(), id);
        assertEquals(200, cast.status(), cast.body());
        assertTrue(cast.body().contains("Linux"), cast.body());
    }

    @Test
    void getSettingsNeverReturnsTheSecretAndMasksTheAccessKey() {
        TestOrg org = app.newOrg(true);
        String bucket = freshBucket();
        assertEquals(200, org.asAdmin(custom(bucket, null, SECRET)).status());
        TestApp.Response settings = org.asAuditor(Map.of("action", "get_settings"));
        assertEquals(200, settings.status());
        assertFalse(settings.body().contains(SECRET), settings.body());
        assertFalse(settings.body().contains(ACCESS), settings.body());
        assertEquals("org-****", settings.data().get("custom_storage").get("access_key").asText());
        assertEquals(bucket, settings.data().get("custom_storage").get("bucket").asText());
        assertEquals("custom", settings.data().get("storage_mode").asText());
        // nor do the audit trail and the events of the change
        for (String table : List.of("audit_log", "event_outbox")) {
            long leaks = app.db().acrossOrgs(tx -> io.castvault.db.TestSql.count(tx,
                    "SELECT count(*) FROM " + table + " t WHERE t::text LIKE ? OR t::text LIKE ?",
                    "%" + SECRET + "%", "%" + ACCESS + "%"));
            assertEquals(0, leaks, table);
        }
        long entries = app.db().acrossOrgs(tx -> io.castvault.db.TestSql.count(tx,
                "SELECT count(*) FROM audit_log WHERE org_id = ?", org.orgId()));
        assertTrue(entries > 0, "the settings change was audited");
    }

    @Test
    void aStoreThatCannotBeUsedIsRefusedOnSaveWithAClearMessage() throws IOException {
        TestOrg org = app.newOrg(true);
        String bucket = freshBucket();
        TestApp.Response wrongKeys = org.asAdmin(custom(bucket, null, "wrong-secret"));
        assertEquals(400, wrongKeys.status(), wrongKeys.body());
        assertEquals("INVALID_INPUT", wrongKeys.errorCode());
        assertTrue(wrongKeys.body().contains("access denied"), wrongKeys.body());

        TestApp.Response noBucket = org.asAdmin(custom("no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8), null, SECRET));
        assertEquals(400, noBucket.status(), noBucket.body());
        assertTrue(noBucket.body().contains("no such bucket"), noBucket.body());

        Map<String, Object> unreachable = custom(bucket, null, SECRET);
        @SuppressWarnings("unchecked")
        Map<String, Object> store = (Map<String, Object>) unreachable.get("custom_storage");
        store.put("endpoint", "http://127.0.0.1:" + FreePort.pick());
        TestApp.Response down = org.asAdmin(unreachable);
        assertEquals(400, down.status(), down.body());
        assertTrue(down.body().contains("unreachable"), down.body());

        store.put("endpoint", "ftp://example.com");
        assertEquals(400, org.asAdmin(unreachable).status());
        assertEquals(400, org.asAdmin(Map.of("action", "update_settings", "storage_mode", "custom")).status(),
                "custom without a store is refused, not silently the platform bucket");
        assertEquals("platform", org.asAdmin(Map.of("action", "get_settings")).data().get("storage_mode").asText());
    }

    @Test
    void theOrgsStoreDownGivesThatOrg503WhileAnotherOrgKeepsUploading() throws Exception {
        Process own = startS3Proxy();
        URI ownEndpoint = lastEndpoint;
        TestOrg down = app.newOrg(true);
        TestOrg other = app.newOrg(true);
        String bucket = "own-" + UUID.randomUUID().toString().substring(0, 8);
        try (S3BlobStore s = new S3BlobStore(new S3Settings(ownEndpoint, "us-east-1", bucket, ACCESS, SECRET))) {
            s.ensureBucket();
        }
        Map<String, Object> body = custom(bucket, null, SECRET);
        @SuppressWarnings("unchecked")
        Map<String, Object> bodyStore = (Map<String, Object>) body.get("custom_storage");
        bodyStore.put("endpoint", ownEndpoint.toString());
        assertEquals(200, down.asAdmin(body).status());
        UUID session = down.start(down.adminId());
        assertEquals(200, down.upload(down.adminId(), session, 0, "[0, \"o\", \"chunk 0\"]").status());
        UUID fine = other.start(other.adminId());
        int failingBefore = failingStores();
        Map<String, Double> before = OperationsTest.scrape(app);

        // stalled (SIGSTOP): the org's calls hang until its timeouts, but only a few at a time (StoreBulkhead), so
        // the other org keeps its upload slots and its speed
        signal("STOP", own.pid());
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<TestApp.Response>> stalled = new ArrayList<>();
            // more than MAX_INFLIGHT_UPLOADS (16): without the bulkhead they would take every upload slot of the service
            for (int i = 1; i <= 20; i++) {
                int index = i;
                stalled.add(CompletableFuture.supplyAsync(() ->
                        down.upload(down.adminId(), session, index, "[" + index + ", \"o\", \"chunk\"]"), clients));
            }
            Thread.sleep(300);
            assertOtherOrgKeepsItsSpeed(other, fine, 0);
            for (CompletableFuture<TestApp.Response> f : stalled) {
                TestApp.Response r = f.get(60, TimeUnit.SECONDS);
                assertEquals(503, r.status(), r.body());
                assertEquals("STORAGE_UNAVAILABLE", r.errorCode());
            }
            assertEquals(failingBefore + 1, failingStores(), "the stalled store is failing");
        } finally {
            signal("CONT", own.pid());
        }
        // answering again: no longer failing
        assertEquals(200, down.upload(down.adminId(), session, 30, "[30, \"o\", \"chunk 30\"]").status());
        assertEquals(failingBefore, failingStores());

        // gone (killed): refused at once
        own.destroyForcibly().waitFor();
        TestApp.Response refused = down.upload(down.adminId(), session, 21, "[21, \"o\", \"chunk 21\"]");
        assertEquals(503, refused.status(), refused.body());
        assertEquals("STORAGE_UNAVAILABLE", refused.errorCode());
        assertOtherOrgKeepsItsSpeed(other, fine, 50);

        // operations see a failing org store as a count and its failures by kind, never which org or bucket;
        // the service stays ready and healthy: /health is about the platform store
        assertEquals(failingBefore + 1, failingStores());
        TestApp.Response ready = app.get("/health/ready", null);
        assertEquals(200, ready.status(), ready.body());
        assertEquals(200, app.get("/health", null).status());
        Map<String, Double> after = OperationsTest.scrape(app);
        // at least the four calls the bulkhead let wait until they timed out, and the one refused by the dead server
        double failures = delta(before, after, "castvault_store_failures_total", "store=\"custom\"", "kind=\"UNAVAILABLE\"");
        assertTrue(failures >= 5, "custom store failures: " + failures);
        assertEquals(0, delta(before, after, "castvault_store_failures_total", "store=\"platform\"", "kind=\"UNAVAILABLE\""));
        assertTrue(delta(before, after, "castvault_store_calls_seconds_count", "store=\"custom\"", "operation=\"put\"",
                "outcome=\"UNAVAILABLE\"") >= 1);
        assertEquals(failingBefore + 1, OperationsTest.value(after, "castvault_store_custom_failing"));
        for (String series : after.keySet()) {
            for (String id : List.of(down.orgId().toString(), bucket, ownEndpoint.getHost() + ":" + ownEndpoint.getPort())) {
                assertFalse(series.contains(id), series);
            }
        }
    }

    private static int failingStores() {
        TestApp.Response ready = app.get("/health/ready", null);
        return ready.json().get("custom_stores").get("failing").asInt();
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String name, String... labels) {
        return OperationsTest.value(after, name, labels) - OperationsTest.value(before, name, labels);
    }

    private static void assertOtherOrgKeepsItsSpeed(TestOrg other, UUID session, int from) {
        long t0 = System.nanoTime();
        for (int i = from; i < from + 50; i++) {
            TestApp.Response r = other.upload(other.adminId(), session, i, "[" + i + ", \"o\", \"chunk " + i + "\"]");
            assertEquals(200, r.status(), r.body());
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis < 10_000, "50 uploads of another org took " + millis + " ms");
    }

    private static void signal(String name, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start().waitFor());
    }

    private static UUID recording(TestOrg org, String text) {
        UUID id = org.start(org.adminId());
        for (int i = 0; i < 3; i++) {
            TestApp.Response r = org.upload(org.adminId(), id, i, "[" + i + ", \"o\", \"chunk " + text + " " + i + "\"]");
            assertEquals(200, r.status(), r.body());
        }
        TestApp.Response done = org.complete(org.adminId(), id);
        assertEquals(200, done.status(), done.body());
        return id;
    }

    private static List<ObjectKey> keys(S3BlobStore store, UUID org, UUID recording) {
        List<ObjectKey> keys = new ArrayList<>();
        ObjectKey.recordingPrefixes(org, recording).forEach(p -> keys.addAll(store.list(p)));
        return keys;
    }

    private static Map<String, Object> custom(String bucket, String prefix, String secret) {
        Map<String, Object> store = new HashMap<>(Map.of("endpoint", orgEndpoint.toString(), "region", "us-east-1",
                "bucket", bucket, "access_key", ACCESS, "secret_key", secret));
        if (prefix != null) {
            store.put("prefix", prefix);
        }
        Map<String, Object> body = new HashMap<>(Map.of("action", "update_settings", "storage_mode", "custom"));
        body.put("custom_storage", store);
        return body;
    }

    private static String freshBucket() {
        String bucket = "org-" + UUID.randomUUID().toString().substring(0, 8);
        try (S3BlobStore s = new S3BlobStore(new S3Settings(orgEndpoint, "us-east-1", bucket, ACCESS, SECRET))) {
            s.ensureBucket();
        }
        return bucket;
    }

    private static S3BlobStore orgStore(String bucket, String prefix) {
        return new S3BlobStore(new S3Settings(orgEndpoint, "us-east-1", bucket, ACCESS, SECRET,
                S3Settings.DEFAULT_ATTEMPT_TIMEOUT, S3Settings.DEFAULT_CALL_TIMEOUT, true, StoreRoot.of(prefix),
                AddressPolicy.ANY));
    }

    private static URI lastEndpoint;

    /** A second S3 server: S3Proxy as a child process on a free port with its own directory. */
    private static Process startS3Proxy() throws Exception {
        Path jar = Path.of(System.getProperty("user.home"), ".cache/castvault/s3proxy-4.1.0-jar-with-dependencies.jar");
        int port = FreePort.pick();
        Path dir = Files.createTempDirectory("org-s3");
        Files.createDirectories(dir.resolve("blobs"));
        Path conf = dir.resolve("s3proxy.conf");
        Files.writeString(conf, "s3proxy.endpoint=http://127.0.0.1:" + port + "\n"
                + "s3proxy.authorization=aws-v2-or-v4\ns3proxy.identity=" + ACCESS + "\ns3proxy.credential=" + SECRET + "\n"
                + "jclouds.provider=filesystem-nio2\njclouds.filesystem.basedir=" + dir.resolve("blobs") + "\n");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-jar", jar.toString(), "--properties", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        for (int i = 0; i < 150; i++) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                lastEndpoint = URI.create("http://127.0.0.1:" + port);
                if (orgEndpoint == null) {
                    orgEndpoint = lastEndpoint;
                }
                return p;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("S3Proxy did not start: " + Files.readString(dir.resolve("s3proxy.log")));
    }
}
