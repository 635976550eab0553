package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * End to end with the stock asciinema 2.x client (Debian package {@code asciinema}, which scripts/test installs):
 * a real terminal session recorded with {@code asciinema rec}, uploaded with {@code asciinema upload} using the
 * node key as install id, then downloaded. Without the client this test fails; it never skips.
 */
class AsciinemaCliTest {
    static final int CAP = 256 * 1024;
    static final Pattern URL = Pattern.compile("https?://\\S+/cast");
    static TestApp app;
    static Path home;

    @BeforeAll
    static void start() throws IOException {
        app = TestApp.start(Map.of("castvault.limits.max-transcript-bytes", CAP), false);
        home = Files.createTempDirectory("castvault-asciinema-");
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
        try (var files = Files.walk(home)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    record Run(int exit, String stdout, String stderr) {
    }

    /** Runs the client with a private home and config, pointed at the test service. */
    static Run asciinema(String installId, String... args) throws Exception {
        String exe = findOnPath("asciinema");
        List<String> command = new ArrayList<>();
        command.add(exe);
        command.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("ASCIINEMA_") || k.startsWith("XDG_"));
        env.put("HOME", home.toString());
        env.put("ASCIINEMA_CONFIG_HOME", home.resolve("config").toString());
        env.put("ASCIINEMA_API_URL", app.url("").toString().replaceAll("/$", ""));
        env.put("ASCIINEMA_INSTALL_ID", installId);
        env.put("USER", "e2e");
        env.put("SHELL", "/bin/sh");
        Path out = Files.createTempFile(home, "out", ".txt");
        Path err = Files.createTempFile(home, "err", ".txt");
        // stdin is not a terminal: asciinema then records the command on a pty of its own, at 80x24
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("asciinema " + String.join(" ", args) + " did not finish");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static String findOnPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        fail(name + " is not installed; scripts/test installs the Debian package asciinema (apt-get install asciinema)");
        return null;
    }

    @Test
    void aRealRecordingUploadedWithAsciinemaUploadComesBackIdentical() throws Exception {
        TestOrg org = app.newOrg(true);
        String key = org.machine().nodeKey();
        Path cast = home.resolve("session.cast");
        Run rec = asciinema(key, "rec", "--overwrite", "--command",
                "echo hello-castvault; sleep 0.2; printf 'second \\033[1mline\\033[0m\\n'", cast.toString());
        assertEquals(0, rec.exit(), rec.stderr());
        byte[] recorded = Files.readAllBytes(cast);
        String recordedText = new String(recorded, StandardCharsets.UTF_8);
        assertTrue(recordedText.contains("hello-castvault"), recordedText);

        Run upload = asciinema(key, "upload", cast.toString());
        assertEquals(0, upload.exit(), upload.stdout() + upload.stderr());
        // the client prints our message (which holds the URL) on stderr
        Matcher m = URL.matcher(upload.stderr());
        assertTrue(m.find(), "the client printed the recording's URL: " + upload.stdout() + upload.stderr());
        String url = m.group();
        assertTrue(url.startsWith(app.url("/api/session-recording/" + org.orgId() + "/").toString()), url);

        String path = url.substring(url.indexOf("/api/"));
        TestApp.Response download = app.get(path, app.token(org.adminId()));
        assertEquals(200, download.status(), download.body());
        List<String> recordedOutput = outputEvents(recordedText);
        assertFalse(recordedOutput.isEmpty());
        assertEquals(recordedOutput, outputEvents(download.body()), "the same output events, in order");
        assertTrue(download.body().contains("hello-castvault"));
        assertEquals(recordedText, download.body(), "an asciicast v2 file is kept byte for byte");

        UUID session = UUID.fromString(path.split("/")[4]);
        JsonNode rec2 = org.asAdmin(Map.of("action", "get", "session_id", session.toString())).data().get("recording");
        assertEquals(AgentHttp.sha256Hex(download.raw().body()), rec2.get("metadata").get("recording_sha256").asText());
        assertEquals(org.memberId().toString(), rec2.get("user_id").asText());
        assertEquals("completed", rec2.get("status").asText());
        assertTrue(rec2.get("metadata").get("reported_by_agent").asBoolean());
    }

    @Test
    void theClientExplainsEachRefusal() throws Exception {
        TestOrg org = app.newOrg(true);
        String header = "{\"version\": 2, \"width\": 80, \"height\": 24}\n";
        Path good = home.resolve("good.cast");
        // large enough that the request is still being sent when the service answers
        Files.writeString(good, header + "[0.5, \"o\", \"ok\\r\\n\"]\n".repeat(8_000));
        Path invalid = home.resolve("invalid.cast");
        Files.writeString(invalid, header + "[0.5, \"o\", \"fine\"]\n[oops]\n");
        Path big = home.resolve("big.cast");
        Files.writeString(big, header + ("[0.5, \"o\", \"" + "x".repeat(1000) + "\"]\n").repeat(2 * CAP / 1000));

        Run badKey = asciinema("00".repeat(32), "upload", good.toString());
        assertEquals(1, badKey.exit());
        assertTrue(badKey.stderr().contains("Invalid or revoked install ID"), badKey.stderr());

        Run bad = asciinema(org.machine().nodeKey(), "upload", invalid.toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.stderr().contains("Invalid asciicast:") && bad.stderr().contains("line 3"), bad.stderr());

        Run tooBig = asciinema(org.machine().nodeKey(), "upload", big.toString());
        assertEquals(1, tooBig.exit());
        assertTrue(tooBig.stderr().contains("too big"), tooBig.stderr());

        assertEquals(0, org.asAdmin(Map.of("action", "list")).data().get("recordings").size());
    }

    /** The output events' data, in order. */
    static List<String> outputEvents(String cast) {
        List<String> out = new ArrayList<>();
        for (String line : cast.split("\n")) {
            if (line.startsWith("[")) {
                JsonNode event = AgentHttp.parse(line);
                if ("o".equals(event.get(1).asText())) {
                    out.add(event.get(2).asText());
                }
            }
        }
        return out;
    }
}
