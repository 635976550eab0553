package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.api.ops.Draining;
import io.castvault.api.ops.ServiceGauges;
import io.castvault.api.ops.SweepMetrics;
import io.castvault.recording.RetentionService;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Metrics scraped before and after a scripted workload, the probes, the request id, and where /metrics lives. */
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

    @Test
    void sweeperRunsAreRecorded() {
        Map<String, Double> before = scrape();
        app.bean(SweepMetrics.class).completed(app.bean(RetentionService.class).sweep());
        Map<String, Double> after = scrape();
        assertEquals(1, delta(before, after, "castvault_sweep_duration_seconds_count"));
        double lastRun = value(after, "castvault_sweep_last_run_timestamp_seconds");
        assertTrue(Math.abs(lastRun - System.currentTimeMillis() / 1000.0) < 60, "last run " + lastRun);
        assertTrue(after.containsKey("castvault_sweep_recordings_deleted_total"));
        assertTrue(after.containsKey("castvault_sweep_failures_total{kind=\"run\",}") || value(after, "castvault_sweep_failures_total", "kind=\"run\"") == 0);
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
