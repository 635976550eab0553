package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.api.jobs.DigestJob;
import io.castvault.api.jobs.RetentionJob;
import io.castvault.api.ops.Draining;
import io.castvault.api.ops.ServiceGauges;
import io.castvault.db.TestSql;
import io.castvault.storage.ObjectKey;
import io.castvault.testing.TestNats;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Metrics scraped before and after a scripted workload, the probes (NATS included when configured), the request
 * id, and where /metrics lives.
 */
class OperationsTest extends ServiceTest {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE);

    static Map<String, Double> scrape() {
        return scrape(app);
    }

    /** Every sample of {@code service}'s {@code /metrics}, keyed by name and labels. */
    static Map<String, Double> scrape(TestApp service) {
        TestApp.Response r = service.send(HttpRequest.newBuilder(service.managementUrl("/metrics")).GET().build());
        assertEquals(200, r.status(), r.body());
        assertTrue(r.raw().headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        Map<String, Double> samples = new HashMap<>();
        Matcher m = SAMPLE.matcher(r.body());
        while (m.find()) {
            samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
        }
        return samples;
    }

    /** The value of the one series whose name is {@code name} and whose labels contain every given pair. */
    static double value(Map<String, Double> samples, String name, String... labels) {
        double sum = 0;
        for (var e : samples.entrySet()) {
            String key = e.getKey();
            if (!key.equals(name) && !key.startsWith(name + "{")) {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= key.contains(label);
            }
            if (all) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    /** Whether a series named {@code name} with every given label is exported (at whatever value). */
    static boolean has(Map<String, Double> samples, String name, String... labels) {
        for (String key : samples.keySet()) {
            if (key.equals(name) || key.startsWith(name + "{")) {
                boolean all = true;
                for (String label : labels) {
                    all &= key.contains(label);
                }
                if (all) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void countersMoveByTheWorkload() {
        TestOrg org = app.newOrg(true);
        Map<String, Double> before = scrape();

        UUID session = org.start(org.memberId());
        String chunk = "[0.5, \"o\", \"héllo\"]";
        assertEquals(200, org.upload(org.memberId(), session, 0, chunk).status());
        assertEquals(200, org.upload(org.memberId(), session, 1, chunk).status());
        assertEquals(200, org.complete(org.memberId(), session).status());
        assertEquals(404, org.asAdmin(Map.of("action", "get", "session_id", UUID.randomUUID().toString())).status());
        assertEquals(400, org.asAdmin(Map.of("action", "upload_chunk", "session_id", session.toString())).status());
        app.bean(ServiceGauges.class).refresh();

        Map<String, Double> after = scrape();
        String upload = "action=\"upload_chunk\"";
        assertEquals(2, delta(before, after, "castvault_requests_seconds_count", upload, "outcome=\"OK\"", "status=\"200\""));
        assertEquals(1, delta(before, after, "castvault_requests_seconds_count", upload, "outcome=\"MISSING_FIELDS\"", "status=\"400\""));
        assertEquals(1, delta(before, after, "castvault_requests_seconds_count", "action=\"start\"", "status=\"201\""));
        assertEquals(1, delta(before, after, "castvault_requests_seconds_count", "action=\"get\"", "outcome=\"NOT_FOUND\""));
        assertEquals(1, delta(before, after, "castvault_requests_seconds_count", "action=\"complete\"", "outcome=\"OK\""));
        assertEquals(2 * chunk.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                delta(before, after, "castvault_chunk_received_bytes_total"));
        // the histogram has buckets, and no label carries an id
        assertTrue(value(after, "castvault_requests_seconds_bucket", upload, "le=\"0.5\"") >= 2);
        for (String series : after.keySet()) {
            assertFalse(series.contains(session.toString()) || series.contains(org.orgId().toString()), series);
        }
        // two chunk puts and the summary put at least, all answered, all to the platform store; every kind of
        // failure has its series from the start, at zero here
        assertTrue(delta(before, after, "castvault_store_calls_seconds_count", "store=\"platform\"", "operation=\"put\"",
                "outcome=\"ok\"") >= 3);
        assertEquals(0, value(after, "castvault_store_calls_seconds_count", "store=\"custom\""));
        for (String kind : new String[]{"UNAVAILABLE", "NOT_FOUND", "CHECKSUM_MISMATCH", "REFUSED", "OTHER"}) {
            assertTrue(has(after, "castvault_store_failures_total", "kind=\"" + kind + "\"", "store=\"platform\""), kind);
        }
        assertEquals(0, value(after, "castvault_store_failures_total", "kind=\"UNAVAILABLE\""));
        assertEquals(0, value(after, "castvault_store_custom_failing"));
        assertTrue(has(after, "castvault_store_custom_failing"));
        assertTrue(delta(before, after, "castvault_db_calls_seconds_count", "operation=\"transaction\"", "outcome=\"ok\"") >= 5);
        assertTrue(value(after, "castvault_recordings", "status=\"completed\"") >= 1);
        assertTrue(value(after, "castvault_db_pool_connections", "state=\"max\"") == 8);
        assertEquals(0, value(after, "castvault_uploads_in_flight"), "every upload counted in flight has left");
        assertTrue(after.containsKey("castvault_db_pool_waiting"));
        assertTrue(value(after, "jvm_memory_used_bytes") > 0);
        assertTrue(value(after, "process_cpu_usage") >= 0 && after.containsKey("process_uptime_seconds"));
    }

    /** An agent report and an asciinema upload: the counter moves by the bytes stored, nothing else by any. */
    @Test
    void transcriptBytesAreThoseOfTheStoredUploads() {
        TestOrg org = app.newOrg(true);
        Map<String, Double> before = scrape();
        TestApp.Response reported = AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(),
                "[0, \"o\", \"h\u00e9llo\\r\\n\"]\n[0.5, \"o\", \"$ \"]", 2.0), null);
        assertEquals(201, reported.status(), reported.body());
        TestApp.Response uploaded = AgentHttp.upload(app, org.machine().nodeKey(),
                "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.1, \"o\", \"x\"]\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), true);
        assertEquals(201, uploaded.status(), uploaded.body());
        Map<String, Double> after = scrape();
        // the asciinema client is answered with the recording's URL: .../{org}/{session}/cast
        String[] location = uploaded.raw().headers().firstValue("Location").orElseThrow().split("/");
        long stored = 0;
        for (String id : List.of(reported.data().get("session_id").asText(), location[location.length - 2])) {
            TestApp.Response cast = org.cast(org.memberId(), UUID.fromString(id));
            assertEquals(200, cast.status());
            stored += cast.raw().body().length;
        }
        assertTrue(stored > 0);
        assertEquals(stored, delta(before, after, "castvault_transcript_received_bytes_total"));
        assertEquals(0, delta(before, after, "castvault_chunk_received_bytes_total"));
    }

    /**
     * MAX_INFLIGHT_UPLOADS = 1, the one slot held by an upload whose object-store call hangs: the next upload is
     * refused at once, and counted.
     */
    @Test
    void uploadsRefusedByTheInFlightLimitAreCounted() throws Exception {
        try (TestApp limited = TestApp.start(Map.of("castvault.limits.max-inflight-uploads", 1), true)) {
            TestOrg org = limited.newOrg(true);
            UUID slow = org.start(org.memberId());
            UUID refused = org.start(org.memberId());
            Map<String, Double> before = scrape(limited);
            limited.relay().stall();
            java.util.concurrent.CompletableFuture<TestApp.Response> holding;
            TestApp.Response answer;
            try {
                holding = java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> org.upload(org.memberId(), slow, 0, "[0.5, \"o\", \"slow\"]"));
                // its chunk is claimed once it holds the slot, right before the object-store call that hangs
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (limited.db().inOrg(org.orgId(), tx -> TestSql.count(tx,
                        "SELECT count(*) FROM recording_chunks WHERE recording_id = ?", slow)) == 0) {
                    assertTrue(System.nanoTime() < deadline, "the first upload never claimed its chunk");
                    Thread.sleep(20);
                }
                answer = org.upload(org.memberId(), refused, 0, "[0.5, \"o\", \"refused\"]");
            } finally {
                limited.relay().resume();
            }
            assertEquals(503, answer.status(), answer.body());
            assertEquals("STORAGE_UNAVAILABLE", answer.errorCode());
            assertTrue(answer.raw().headers().firstValue("Retry-After").isPresent());
            assertEquals(200, holding.get(60, java.util.concurrent.TimeUnit.SECONDS).status(), "the held upload completes");
            Map<String, Double> after = scrape(limited);
            assertEquals(1, delta(before, after, "castvault_upload_rejections_total", "reason=\"limit\""));
            assertEquals(1, delta(before, after, "castvault_requests_seconds_count", "action=\"upload_chunk\"",
                    "outcome=\"STORAGE_UNAVAILABLE\""));
            assertEquals("[0.5, \"o\", \"slow\"]".length(), delta(before, after, "castvault_chunk_received_bytes_total"));
        }
    }

    /** Two expired recordings and one abandoned: the sweeper's counters move by exactly those. */
    @Test
    void sweeperRunsAreRecorded() {
        TestOrg org = app.newOrg(true);
        UUID[] expired = {RetentionTest.recording(app, org, 100 * 24), RetentionTest.recording(app, org, 100 * 24)};
        int objects = 0;
        for (UUID id : expired) {
            for (var prefix : ObjectKey.recordingPrefixes(org.orgId(), id)) {
                objects += app.blobs().list(prefix).size();
            }
        }
        assertTrue(objects >= 2, "objects of the expired recordings: " + objects);
        UUID abandoned = org.start(org.memberId());
        assertEquals(200, org.upload(org.memberId(), abandoned, 0, "[0.5, \"o\", \"left\"]").status());
        RetentionTest.backdate(app, abandoned, 48);

        Map<String, Double> before = scrape();
        app.bean(RetentionJob.class).sweep();
        Map<String, Double> after = scrape();
        assertEquals(1, delta(before, after, "castvault_sweep_duration_seconds_count"));
        assertEquals(2, delta(before, after, "castvault_sweep_recordings_deleted_total"));
        assertEquals(objects, delta(before, after, "castvault_sweep_objects_deleted_total"));
        assertEquals(1, delta(before, after, "castvault_sweep_abandoned_completed_total"));
        assertEquals(0, value(after, "castvault_sweep_pending"));
        assertEquals(0, delta(before, after, "castvault_sweep_failures_total"));
        assertTrue(has(after, "castvault_sweep_failures_total", "kind=\"run\""));
        double lastRun = value(after, "castvault_sweep_last_run_timestamp_seconds");
        assertTrue(Math.abs(lastRun - System.currentTimeMillis() / 1000.0) < 60, "last run " + lastRun);
        assertEquals(lastRun, value(after, "castvault_sweep_last_success_timestamp_seconds"), "a run without failures");
        assertTrue(RetentionTest.gone(app, org, expired[0]) && RetentionTest.gone(app, org, expired[1]));
        assertEquals("completed", org.asAdmin(Map.of("action", "get", "session_id", abandoned.toString()))
                .data().at("/recording/status").asText());
    }

    @Test
    void digestRunsAreRecorded() {
        Map<String, Double> before = scrape();
        assertTrue(has(before, "castvault_digest_last_success_timestamp_seconds"), "exported before the first run");
        assertTrue(has(before, "castvault_digest_failures_total"));
        long started = System.currentTimeMillis() / 1000;
        app.bean(DigestJob.class).run();
        Map<String, Double> after = scrape();
        double last = value(after, "castvault_digest_last_success_timestamp_seconds");
        assertTrue(last >= started && last > value(before, "castvault_digest_last_success_timestamp_seconds"),
                "last success " + last + ", before " + value(before, "castvault_digest_last_success_timestamp_seconds"));
        assertEquals(0, delta(before, after, "castvault_digest_failures_total"));
    }

    @Test
    void metricsAreNotServedOnTheApiPort() {
        assertEquals(404, app.get("/metrics", null).status());
        assertEquals(404, app.get("/prometheus", null).status());
        // and the management port serves nothing of the API
        TestApp.Response r = app.send(HttpRequest.newBuilder(app.managementUrl("/health")).GET().build());
        assertNotEquals(200, r.status());
    }

    @Test
    void probesSayWhatAnswers() {
        TestApp.Response live = app.get("/health/live", null);
        assertEquals(200, live.status());
        TestApp.Response ready = app.get("/health/ready", null);
        assertEquals(200, ready.status(), ready.body());
        JsonNode checks = ready.json().get("checks");
        assertEquals("up", checks.get("database").get("status").asText());
        assertEquals("up", checks.get("object_store").get("status").asText());
        assertTrue(checks.get("database").get("latency_ms").isNumber());
        assertTrue(checks.get("object_store").get("latency_ms").isNumber());
        assertFalse(checks.has("nats"), "NATS_URL is not set: " + ready.body());
        assertEquals(0, ready.json().get("custom_stores").get("failing").asInt(), ready.body());
        assertEquals(200, app.get("/health", null).status());
    }

    @Test
    void requestIdIsReturnedAndKeptWhenSane() {
        TestApp.Response fresh = app.get("/health/live", null);
        String id = fresh.raw().headers().firstValue("X-Request-Id").orElseThrow();
        assertTrue(id.matches("[0-9a-f-]{36}"), id);
        TestApp.Response kept = app.send(HttpRequest.newBuilder(app.url("/health/live"))
                .header("X-Request-Id", "gw-1234.abc").GET().build());
        assertEquals("gw-1234.abc", kept.raw().headers().firstValue("X-Request-Id").orElseThrow());
        TestApp.Response replaced = app.send(HttpRequest.newBuilder(app.url("/health/live"))
                .header("X-Request-Id", "bad id\"with{labels}").GET().build());
        assertNotEquals("bad id\"with{labels}", replaced.raw().headers().firstValue("X-Request-Id").orElseThrow());
        // up to 128 characters, as openapi.yaml and the README say (and the audit log's column holds)
        String longest = "a1.:-".repeat(25) + "xyz";
        assertEquals(longest, app.send(HttpRequest.newBuilder(app.url("/health/live")).header("X-Request-Id", longest)
                .GET().build()).raw().headers().firstValue("X-Request-Id").orElseThrow());
        assertNotEquals(longest + "z", app.send(HttpRequest.newBuilder(app.url("/health/live"))
                .header("X-Request-Id", longest + "z").GET().build()).raw().headers().firstValue("X-Request-Id").orElseThrow());
        // an error answer carries it too
        TestApp.Response denied = app.action(null, Map.of("action", "list"));
        assertEquals(401, denied.status());
        assertTrue(denied.raw().headers().firstValue("X-Request-Id").isPresent());
    }

    @Test
    void readinessFailsWhileDraining() throws Exception {
        try (TestApp other = TestApp.start()) {
            assertEquals(200, other.get("/health/ready", null).status());
            other.bean(Draining.class).begin();
            TestApp.Response r = other.get("/health/ready", null);
            assertEquals(503, r.status());
            assertTrue(r.json().get("draining").asBoolean());
            assertEquals(200, other.get("/health/live", null).status());
        }
    }

    /**
     * With NATS_URL set, readiness includes NATS with its latency and fails while NATS is down; the outbox backlog
     * gauge shows the events waiting meanwhile.
     */
    @Test
    void readinessIncludesNatsAndTheBacklogShowsWhileItIsDown() throws Exception {
        try (TestNats nats = TestNats.start();
             TestApp withNats = TestApp.start(Map.of("castvault.events.nats-url", nats.url()), false)) {
            try {
                readinessFollowsNats(nats, withNats);
            } catch (Throwable t) {
                nats.failed(); // closing it prints the server's log
                throw t;
            }
        }
    }

    private static void readinessFollowsNats(TestNats nats, TestApp withNats) {
        TestOrg org = withNats.newOrg(true);
        JsonNode ready = awaitReadiness(withNats, 200);
        JsonNode check = ready.at("/checks/nats");
        assertEquals("up", check.get("status").asText(), ready.toString());
        assertTrue(check.get("latency_ms").isNumber() && check.get("latency_ms").asDouble() >= 0, ready.toString());
        EventStream.await("the outbox drained", java.time.Duration.ofSeconds(30), () -> EventStream.outboxSize(withNats) == 0);

        nats.kill();
        JsonNode down = awaitReadiness(withNats, 503);
        assertEquals("down", down.at("/checks/nats/status").asText(), down.toString());
        assertTrue(down.at("/checks/nats/latency_ms").isNumber());
        assertEquals("up", down.at("/checks/database/status").asText());
        assertEquals("up", down.at("/checks/object_store/status").asText());
        assertFalse(down.get("draining").asBoolean());
        assertEquals(200, withNats.get("/health", null).status(), "/health reports NATS but does not fail on it");
        org.start(org.memberId());
        org.start(org.memberId());
        assertEquals(2, EventStream.outboxSize(withNats));
        withNats.bean(ServiceGauges.class).refresh();
        assertEquals(2, value(scrape(withNats), "castvault_events_outbox_backlog"));

        nats.restart();
        assertEquals("up", awaitReadiness(withNats, 200).at("/checks/nats/status").asText());
        EventStream.await(nats, "the backlog published", java.time.Duration.ofSeconds(30),
                () -> EventStream.outboxSize(withNats) == 0, () -> "(relay " + withNats.bean(EventsRuntime.class).health() + ")");
        withNats.bean(ServiceGauges.class).refresh();
        assertEquals(0, value(scrape(withNats), "castvault_events_outbox_backlog"));
    }

    private static JsonNode awaitReadiness(TestApp service, int status) {
        TestApp.Response[] last = new TestApp.Response[1];
        EventStream.await("/health/ready " + status, java.time.Duration.ofSeconds(30), () -> {
            last[0] = service.get("/health/ready", null);
            return last[0].status() == status;
        }, () -> last[0] == null ? "" : last[0].body());
        return last[0].json();
    }

    @Test
    void managementPortMustDifferFromPort() {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> TestApp.start(Map.of("micronaut.server.port", port, "endpoints.all.port", port), false).close());
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertTrue(messages.toString().contains("MANAGEMENT_PORT (" + port + ") must differ from PORT (" + port + ")"),
                messages.toString());
    }

    @Test
    void anAgentUploadIsInFlightWhileItsBodyArrives() throws Exception {
        TestOrg org = app.newOrg(true);
        byte[] body = AgentHttp.report(org.machine().nodeKey(), "[0, \"o\", \"x\"]", null).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (java.net.Socket socket = new java.net.Socket(app.url("/").getHost(), app.url("/").getPort())) {
            var out = socket.getOutputStream();
            out.write(("POST " + AgentHttp.AGENT_PATH + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(body, 0, body.length / 2);
            out.flush();
            double seen = 0;
            for (int i = 0; i < 100 && seen < 1; i++) {
                seen = value(scrape(), "castvault_uploads_in_flight");
                Thread.sleep(50);
            }
            assertEquals(1, seen, "the upload whose body is half sent");
            out.write(body, body.length / 2, body.length - body.length / 2);
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 201"), answer);
        }
        assertEquals(0, value(scrape(), "castvault_uploads_in_flight"));
    }

    /** docs/grafana-dashboard.json and docs/alerts.yml name only series the service exports. */
    @Test
    void dashboardAndAlertsNameOnlyExportedMetrics() throws Exception {
        TestOrg org = app.newOrg(true);
        assertEquals(201, AgentHttp.post(app, AgentHttp.report(org.machine().nodeKey(), "[0, \"o\", \"x\"]", null), null).status());
        java.util.Set<String> exported = new java.util.HashSet<>();
        for (String series : scrape().keySet()) {
            exported.add(series.replaceAll("\\{.*", ""));
        }
        Pattern metric = Pattern.compile("\\b((?:castvault|jvm|process|system|executor|logback)_[a-z0-9_]+)");
        java.nio.file.Path docs = java.nio.file.Path.of("..", "docs");
        String dashboard = java.nio.file.Files.readString(docs.resolve("grafana-dashboard.json"));
        String alerts = java.nio.file.Files.readString(docs.resolve("alerts.yml"));
        java.util.Set<String> named = new java.util.TreeSet<>();
        for (JsonNode target : TestApp.JSON.readTree(dashboard).findValues("expr")) {
            Matcher m = metric.matcher(target.asText());
            while (m.find()) {
                named.add(m.group(1));
            }
        }
        int dashboardMetrics = named.size();
        JsonNode rules = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(alerts);
        for (JsonNode group : rules.get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                Matcher m = metric.matcher(rule.get("expr").asText());
                while (m.find()) {
                    named.add(m.group(1));
                }
            }
        }
        assertTrue(dashboardMetrics >= 15 && named.size() > dashboardMetrics - 1, named.toString());
        java.util.Set<String> missing = new java.util.TreeSet<>(named);
        missing.removeAll(exported);
        assertEquals(java.util.Set.of(), missing, "named in docs/ but not exported");
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String name, String... labels) {
        return value(after, name, labels) - value(before, name, labels);
    }

}
