package io.castvault.api;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: generated hostile bodies at every route that takes one: the action route, the agent route and the
 * asciinema upload. Every case is invalid by construction (a poison on top of a well-formed request, plus
 * random noise), so every answer must be a 4xx (in the envelope on the JSON routes; the asciinema route answers
 * plain text, as its client expects) within a second, and afterwards the org's list still works and holds
 * nothing the cases sent.
 *
 * <p>Seeded and reproducible: case {@code i} is generated from {@code seed * 31 + i} alone, so a failing case
 * named in the report replays with {@code -Dcastvault.fuzz.seed=S -Dcastvault.fuzz.cases=N}.
 */
class HostileInputFuzzTest {
    static final long SEED = Long.getLong("castvault.fuzz.seed", 20261125L);
    static final int CASES = Integer.getInteger("castvault.fuzz.cases", 10_000);
    static final int THREADS = 4;
    static final long MAX_ANSWER_NANOS = 1_000_000_000L;

    static final String[] BAD_TIMES = {"1e309", "-1e309", "1e50000000", "1e999999999", "1e9999999999", "-1", "-0.5",
            "1e-400", "1e10", "NaN", "Infinity", "-Infinity", "1.0e+1000000", "0x10", "01", "1.", ".5", "+1", "1e", "--1",
            "123456789012345678901234567890123456", "null", "\"1\"", "[]", "true"};
    static final String[] OK_TIMES = {"-0", "0", "-0.0", "1e-6", "0.30000000000000004", "1E+2", "1000000000", "12.5"};
    static final String[] BAD_LINES = {"[0, \"q\", \"x\"]", "[0, \"o\"]", "[0, \"o\", \"x\", 1]", "[0, \"o\", 5]",
            "{\"a\": 1}", "[0, \"o\", \"x\"] junk", "[", "]", "[0, \"o\", \"x\"", "\"text\"", "42",
            "{\"version\": 3, \"term\": {\"cols\": 1e309, \"rows\": 1}}", "[0, \"o\", null]"};
    static final String[] HOSTILE_VALUES = {"123", "1e309", "-0", "1e-400", "true", "false", "[]", "{}", "[1, 2]",
            "{\"a\": \"b\"}", "\"not-a-uuid\"", "\"1-1-1-1-1\"", "\"\"", "\"x\\u0000y\"", "\"\\ud800\"", "-1",
            "9223372036854775808", "1e999999999", "\"00000000-0000-0000-0000-00000000000g\""};
    static final String[] NON_FINITE_TOKENS = {"NaN", "Infinity", "-Infinity", "+Infinity", "nan", "inf"};
    static final byte[][] INVALID_UTF8 = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0x80}, {(byte) 0xE2, (byte) 0x82},
            {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}};

    static TestApp app;
    static TestOrg org;
    static String adminToken;
    static List<UUID> sessions = new ArrayList<>();
    static int recordingsBefore;

    @BeforeAll
    static void start() {
        // the failed-key budget would turn most agent cases into 429 before their body is parsed
        app = TestApp.start(Map.of("castvault.agent.auth-failure-burst", 1_000_000), false);
        org = app.newOrg(true);
        adminToken = app.token(org.adminId());
        for (int i = 0; i < 3; i++) {
            sessions.add(org.start(org.adminId()));
        }
        assertEquals(200, org.upload(org.adminId(), sessions.get(0), 0, "[0.5, \"o\", \"kept\"]").status());
        recordingsBefore = org.asAdmin(Map.of("action", "list")).data().get("recordings").size();
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
    }

    record Case(String description, HttpRequest request, boolean envelope) {
    }

    @Test
    void hostileBodiesAreRefusedQuicklyAndHarmNoOrg() throws Exception {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicLong slowest = new AtomicLong();
        AtomicInteger next = new AtomicInteger();
        Map<Integer, AtomicInteger> statuses = new java.util.concurrent.ConcurrentHashMap<>();
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                workers.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < CASES; ) {
                        Case c = generate(new Random(SEED * 31 + i));
                        long t0 = System.nanoTime();
                        TestApp.Response r;
                        try {
                            r = app.send(c.request());
                        } catch (RuntimeException e) {
                            failures.add("case " + i + " (" + c.description() + "): " + e);
                            continue;
                        }
                        long took = System.nanoTime() - t0;
                        slowest.accumulateAndGet(took, Math::max);
                        statuses.computeIfAbsent(r.status(), s -> new AtomicInteger()).incrementAndGet();
                        String problem = check(r, c, took);
                        if (problem != null) {
                            failures.add("case " + i + " (" + c.description() + "): " + problem);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get();
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("fuzz: seed %d, %d cases in %d ms, slowest answer %d ms, statuses %s%n", SEED, CASES,
                (System.nanoTime() - started) / 1_000_000, slowest.get() / 1_000_000, statuses);
        failures.stream().limit(40).forEach(f -> System.out.println("fuzz failure: " + abbreviate(f)));
        assertTrue(failures.isEmpty(), failures.size() + " failing cases, first: "
                + failures.subList(0, Math.min(20, failures.size())));
        TestApp.Response list = org.asAdmin(Map.of("action", "list"));
        assertEquals(200, list.status(), list.body());
        assertEquals(recordingsBefore, list.data().get("recordings").size(), "nothing a hostile case sent was stored");
        for (var stat : list.data().get("stats")) {
            assertTrue(stat.get("total_duration").isNumber(), stat.toString());
        }
        assertEquals(200, org.asAdmin(Map.of("action", "get", "session_id", sessions.get(0).toString())).status());
    }

    private static String check(TestApp.Response r, Case c, long took) {
        if (r.status() < 400 || r.status() >= 500) {
            return "answered " + r.status() + ": " + abbreviate(r.body());
        }
        if (took > MAX_ANSWER_NANOS) {
            return "took " + took / 1_000_000 + " ms";
        }
        if (c.envelope()) {
            if (r.json() == null || r.json().path("success").asBoolean(true) || r.json().path("error").path("code").isMissingNode()) {
                return "no envelope: " + abbreviate(r.body());
            }
        }
        return null;
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    // ---- generation ----

    static Case generate(Random r) {
        int route = r.nextInt(100);
        if (route < 50) {
            return actionCase(r);
        }
        if (route < 85) {
            return agentCase(r);
        }
        return asciicastCase(r);
    }

    static <T> T pick(Random r, T[] values) {
        return values[r.nextInt(values.length)];
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    static String deep(Random r, int depth) {
        String open = r.nextBoolean() ? "[" : "{\"a\":";
        String close = open.equals("[") ? "]" : "}";
        return open.repeat(depth) + "1" + close.repeat(depth);
    }

    /** Event lines with exactly one invalid line among valid ones (some with edge times) and blank lines. */
    static String poisonedEvents(Random r) {
        return poisonedEvents(r, false);
    }

    /** {@code v3}: comment lines are valid there, so they are not a poison. */
    static String poisonedEvents(Random r, boolean v3) {
        List<String> lines = new ArrayList<>();
        int good = r.nextInt(5);
        for (int i = 0; i < good; i++) {
            lines.add("[" + pick(r, OK_TIMES) + ", \"o\", \"ok " + i + "\"]");
            if (r.nextInt(4) == 0) {
                lines.add("");
            }
        }
        String bad = r.nextBoolean() ? "[" + pick(r, BAD_TIMES) + ", \"o\", \"x\"]"
                : !v3 && r.nextInt(8) == 0 ? "# a comment is v3 syntax only" : pick(r, BAD_LINES);
        lines.add(r.nextInt(lines.size() + 1), bad);
        return String.join("\n", lines);
    }

    /** A whole transcript or file, invalid in its header or in one event. */
    static String poisonedTranscript(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> poisonedEvents(r);
            case 1 -> "{\"version\": 2, \"width\": 80, \"height\": 24}\n" + poisonedEvents(r);
            case 2 -> "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n# c\n" + poisonedEvents(r, true);
            default -> pick(r, new String[] {
                    "{\"version\": 2, \"width\": 0, \"height\": 24}",
                    "{\"version\": 2, \"width\": 10001, \"height\": 24}",
                    "{\"version\": 2, \"width\": 1e309, \"height\": 24}",
                    "{\"version\": 2, \"width\": \"80\", \"height\": 24}",
                    "{\"version\": 2, \"width\": 80, \"height\": 99999999999999999999}",
                    "{\"version\": 2, \"width\": 80, \"height\": 24, \"idle_time_limit\": 1e309}",
                    "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": -1}}",
                    "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}, \"timestamp\": -5}",
                    "{\"version\": 3}", "{\"version\": 1}", "{\"version\": 2.0, \"width\": 80, \"height\": 24}",
                    "{\"version\": 2, \"width\": 80, \"height\": 24, \"x\": NaN}"}) + "\n[0.5, \"o\", \"a\"]";
        };
    }

    /** Extra members that are harmless on their own: huge names, edge numbers, deep but allowed nesting. */
    static void noise(Random r, StringBuilder body, int maxDepth) {
        int n = r.nextInt(3);
        for (int i = 0; i < n; i++) {
            String name = switch (r.nextInt(3)) {
                case 0 -> "k".repeat(1 + r.nextInt(200));
                case 1 -> "pad" + i;
                default -> "\u00e9\u4e2d\ud83d\ude00" + i;
            };
            String value = switch (r.nextInt(4)) {
                case 0 -> pick(r, new String[] {"1e308", "-0", "1e-300", "0.0", "12345678901234567890"});
                case 1 -> deep(r, 1 + r.nextInt(maxDepth));
                case 2 -> json("v".repeat(r.nextInt(2000)));
                default -> "null";
            };
            body.append(", ").append(json(name)).append(": ").append(value);
        }
    }

    static Case actionCase(Random r) {
        String[] actions = {"get_settings", "update_settings", "start", "upload_chunk", "complete", "get", "list",
                "delete", "cleanup"};
        String action = pick(r, actions);
        UUID session = sessions.get(r.nextInt(sessions.size()));
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        fields.put("action", json(action));
        fields.put("org_id", json(org.orgId().toString()));
        List<String> numeric = new ArrayList<>();
        switch (action) {
            case "update_settings" -> {
                fields.put("retention_days", "30");
                numeric.add("retention_days");
            }
            case "start" -> {
                fields.put("machine_id", json(org.machine().machineId().toString()));
                fields.put("session_type", json("ssh"));
            }
            case "upload_chunk" -> {
                fields.put("session_id", json(session.toString()));
                fields.put("chunk_index", Integer.toString(1 + r.nextInt(50)));
                fields.put("chunk_data", json("[1, \"o\", \"fine\"]"));
                numeric.add("chunk_index");
            }
            case "complete" -> {
                fields.put("session_id", json(session.toString()));
                fields.put("duration_seconds", "12.5");
                numeric.add("duration_seconds");
            }
            case "get", "delete" -> fields.put("session_id", json(session.toString()));
            case "list" -> {
                fields.put("limit", "20");
                fields.put("offset", "0");
                numeric.add("limit");
                numeric.add("offset");
            }
            default -> {
            }
        }
        String token = adminToken;
        String description;
        byte[] invalidUtf8 = null;
        String duplicate = null;
        int poison = r.nextInt(action.equals("upload_chunk") ? 10 : 9);
        switch (poison) {
            case 0 -> {
                token = pick(r, new String[] {null, "", "garbage", adminToken.substring(0, adminToken.length() - 3) + "abc",
                        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", adminToken + "." + adminToken});
                description = "bad token " + (token == null ? "none" : token.length() > 20 ? token.substring(0, 20) : token);
            }
            case 1 -> {
                String field = pick(r, fields.keySet().toArray(new String[0]));
                String value = r.nextInt(4) == 0 ? deep(r, 10 + r.nextInt(3000)) : pick(r, HOSTILE_VALUES);
                if (field.equals("action")) {
                    value = pick(r, new String[] {"\"drop_tables\"", "\"\"", "\"GET\"", "\"list \"", "123", "[]"});
                }
                if (numeric.contains(field)) {
                    value = badNumber(r, field);
                }
                fields.put(field, value);
                description = action + " " + field + "=" + abbreviate(value);
            }
            case 2 -> {
                String field = pick(r, fields.keySet().toArray(new String[0]));
                fields.remove(field);
                if (fields.isEmpty() || !(field.equals("action") || field.equals("org_id") || field.equals("session_id")
                        || field.equals("machine_id") || field.equals("session_type") || field.equals("chunk_data"))) {
                    // an optional field missing is fine: make it malformed instead
                    fields.put(field.isEmpty() ? "action" : field, "{}");
                }
                description = action + " without " + field;
            }
            case 3 -> {
                duplicate = pick(r, fields.keySet().toArray(new String[0]));
                description = action + " duplicate " + duplicate;
            }
            case 4 -> {
                invalidUtf8 = pick(r, INVALID_UTF8);
                description = action + " invalid UTF-8 " + java.util.HexFormat.of().formatHex(invalidUtf8);
            }
            case 5 -> {
                String field = numeric.isEmpty() ? "pad" : pick(r, numeric.toArray(new String[0]));
                fields.put(field, pick(r, NON_FINITE_TOKENS));
                description = action + " " + field + " non-finite token";
            }
            case 6 -> {
                fields.put("nest", deep(r, 1001 + r.nextInt(4000)));
                description = action + " nested too deeply";
            }
            case 7 -> {
                String body = pick(r, new String[] {"", " ", "[]", "\"action\"", "123", "null", "{}", "{\"action\": \"list\"}",
                        "[{\"action\": \"list\"}]", "{\"action\": \"list\", \"org_id\": null}"});
                return new Case("action body " + json(body), actionRequest(body.getBytes(StandardCharsets.UTF_8), token), true);
            }
            case 8 -> {
                byte[] full = actionBody(r, fields, null, null);
                int cut = 1 + r.nextInt(full.length - 2);
                return new Case(action + " truncated at " + cut, actionRequest(java.util.Arrays.copyOf(full, cut), token), true);
            }
            default -> {
                fields.put("chunk_data", json(poisonedEvents(r)));
                description = "upload_chunk " + abbreviate(fields.get("chunk_data"));
            }
        }
        return new Case(description, actionRequest(actionBody(r, fields, duplicate, invalidUtf8), token), true);
    }

    static String badNumber(Random r, String field) {
        return switch (field) {
            case "chunk_index" -> pick(r, new String[] {"-1", "1.5", "1000001", "1e309", "9223372036854775808", "\"0\"",
                    "true", "1e999999999", "-0.0", "2147483648"});
            case "duration_seconds" -> pick(r, new String[] {"1e309", "-1", "1e10", "\"1\"", "-1e309", "1e999999999", "[]"});
            case "limit" -> pick(r, new String[] {"0", "-5", "1.5", "1e309", "\"20\""});
            case "offset" -> pick(r, new String[] {"-1", "1.5", "1e309", "\"0\"", "-1e999999999"});
            default -> pick(r, new String[] {"1.5", "\"30\"", "1e309", "true", "[30]"});
        };
    }

    static byte[] actionBody(Random r, Map<String, String> fields, String duplicate, byte[] invalidUtf8) {
        StringBuilder b = new StringBuilder("{");
        boolean first = true;
        for (var e : fields.entrySet()) {
            if (!first) {
                b.append(", ");
            }
            first = false;
            b.append(json(e.getKey())).append(": ").append(e.getValue());
        }
        if (duplicate != null) {
            b.append(", ").append(json(duplicate)).append(": ").append(r.nextBoolean() ? fields.get(duplicate) : "\"other\"");
        }
        noise(r, b, 500);
        if (invalidUtf8 == null) {
            return b.append('}').toString().getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(b.toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(", \"bad\": \"a".getBytes(StandardCharsets.UTF_8));
        out.writeBytes(invalidUtf8);
        out.writeBytes("b\"}".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    static HttpRequest actionRequest(byte[] body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(app.url("/api/session-recording")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b.build();
    }

    static Case agentCase(Random r) {
        String key = json(org.machine().nodeKey());
        String sessionType = json("ssh");
        String transcript = json("[0.5, \"o\", \"fine\"]");
        String duration = null;
        String description;
        byte[] invalidUtf8 = null;
        String extra = "";
        boolean duplicate = false;
        switch (r.nextInt(9)) {
            case 0 -> {
                key = pick(r, new String[] {json("ab".repeat(32)), json(""), "null", "12345", json("k".repeat(300)), "[]",
                        "{\"a\": 1}", json(org.machine().nodeKey().toUpperCase() + "x")});
                description = "agent key " + abbreviate(key);
            }
            case 1 -> {
                transcript = json(poisonedTranscript(r));
                description = "agent transcript " + abbreviate(transcript);
            }
            case 2 -> {
                duration = pick(r, new String[] {"1e309", "-1", "1e10", "\"30\"", "NaN", "Infinity", "1e999999999", "-1e-400x", "[]"});
                description = "agent duration " + duration;
            }
            case 3 -> {
                sessionType = pick(r, new String[] {json("Bad Type!"), "123", json(""), json("s".repeat(65)), "{}", "null"});
                description = "agent session_type " + sessionType;
            }
            case 4 -> {
                duplicate = true;
                description = "agent duplicate node_key";
            }
            case 5 -> {
                invalidUtf8 = pick(r, INVALID_UTF8);
                description = "agent invalid UTF-8";
            }
            case 6 -> {
                extra = pick(r, new String[] {
                        ", " + json("n".repeat(257 + r.nextInt(5000))) + ": 1",
                        ", \"x\": {" + json("m".repeat(300)) + ": 1}",
                        ", \"x\": " + deep(r, 33 + r.nextInt(2000)),
                        ", \"x\": " + json("s".repeat(64 * 1024 + 1 + r.nextInt(1000))),
                        ", \"x\": NaN", ", \"x\": 1e99999999999999999999999999999999999999999999999999999999999999999",
                        ", \"x\": tru", ", \"x\": \"\\q\""});
                description = "agent extra " + abbreviate(extra);
            }
            case 7 -> {
                transcript = pick(r, new String[] {"null", "123", "[]", "{}"});
                description = "agent transcript " + transcript;
            }
            default -> {
                String body = "{\"node_key\": " + key + ", \"session_type\": \"ssh\", \"session_data\": {\"transcript\": "
                        + transcript + "}}";
                int cut = 1 + r.nextInt(body.length() - 2);
                return new Case("agent truncated at " + cut, agentRequest(body.substring(0, cut).getBytes(StandardCharsets.UTF_8)), true);
            }
        }
        StringBuilder b = new StringBuilder("{\"node_key\": ").append(key);
        if (duplicate) {
            b.append(", \"node_key\": ").append(key);
        }
        b.append(", \"session_type\": ").append(sessionType).append(extra);
        noise(r, b, 30);
        b.append(", \"session_data\": ");
        if (transcript.equals("[]") || transcript.equals("123") || transcript.equals("null") && r.nextBoolean()) {
            b.append(transcript).append('}');
            return new Case(description + " (session_data " + transcript + ")", agentRequest(b.toString().getBytes(StandardCharsets.UTF_8)), true);
        }
        b.append("{\"transcript\": ").append(transcript);
        if (duration != null) {
            b.append(", \"duration_seconds\": ").append(duration);
        }
        byte[] bytes;
        if (invalidUtf8 != null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(b.toString().getBytes(StandardCharsets.UTF_8));
            out.writeBytes(", \"note\": \"a".getBytes(StandardCharsets.UTF_8));
            out.writeBytes(invalidUtf8);
            out.writeBytes("\"}}".getBytes(StandardCharsets.UTF_8));
            bytes = out.toByteArray();
        } else {
            bytes = b.append("}}").toString().getBytes(StandardCharsets.UTF_8);
        }
        return new Case(description, agentRequest(bytes), true);
    }

    static HttpRequest agentRequest(byte[] body) {
        return HttpRequest.newBuilder(app.url(AgentHttp.AGENT_PATH)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    static Case asciicastCase(Random r) {
        String installId = org.machine().nodeKey();
        byte[] cast = ("{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"fine\"]\n").getBytes(StandardCharsets.UTF_8);
        String fieldName = "asciicast";
        String boundary = "fuzz" + Long.toHexString(r.nextLong());
        String contentType = "multipart/form-data; boundary=" + boundary;
        String authorization;
        String description;
        boolean truncate = false;
        switch (r.nextInt(6)) {
            case 0 -> {
                installId = pick(r, new String[] {"ab".repeat(32), "", "k".repeat(300), null});
                description = "asciicast install id " + abbreviate(String.valueOf(installId));
            }
            case 1 -> {
                cast = poisonedTranscript(r).getBytes(StandardCharsets.UTF_8);
                description = "asciicast file " + abbreviate(new String(cast, StandardCharsets.UTF_8));
            }
            case 2 -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.writeBytes("{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"a".getBytes(StandardCharsets.UTF_8));
                out.writeBytes(pick(r, INVALID_UTF8));
                out.writeBytes("\"]\n".getBytes(StandardCharsets.UTF_8));
                cast = out.toByteArray();
                description = "asciicast invalid UTF-8";
            }
            case 3 -> {
                truncate = true;
                description = "asciicast truncated multipart";
            }
            case 4 -> {
                fieldName = pick(r, new String[] {"file", "", "asciicast2"});
                description = "asciicast field " + fieldName;
            }
            default -> {
                contentType = pick(r, new String[] {"multipart/form-data", "multipart/form-data; boundary=",
                        "multipart/form-data; boundary=" + "b".repeat(200), "multipart/form-data; boundary=other"});
                description = "asciicast content type " + abbreviate(contentType);
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\ncontent-disposition: form-data; name=\"" + fieldName
                + "\"; filename=\"ascii.cast\"\r\ncontent-type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(cast);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        byte[] bytes = body.toByteArray();
        if (truncate) {
            // the closing delimiter is always damaged: a part that never ends is not a file
            int cut = 1 + r.nextInt(bytes.length - boundary.length() - 6);
            bytes = java.util.Arrays.copyOf(bytes, cut);
            description += " at " + cut;
        }
        authorization = installId == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(("fuzz:" + installId).getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder b = HttpRequest.newBuilder(app.url(AgentHttp.ASCIICAST_PATH)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return new Case(description, b.build(), false);
    }
}
