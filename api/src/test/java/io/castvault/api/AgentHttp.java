package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;

/** Requests the way machines send them: the node-key report and the asciinema client's multipart upload. */
final class AgentHttp {
    static final String AGENT_PATH = "/api/session-recording-agent";
    static final String ASCIICAST_PATH = "/api/asciicasts";

    private AgentHttp() {
    }

    static String report(String nodeKey, String transcript, Double durationSeconds) {
        ObjectNode body = TestApp.object();
        body.put("node_key", nodeKey);
        body.put("session_type", "ssh");
        ObjectNode data = body.putObject("session_data");
        data.put("transcript", transcript);
        if (durationSeconds != null) {
            data.put("duration_seconds", durationSeconds);
        }
        return body.toString();
    }

    /** POST the raw JSON body; {@code forwardedFor} (may be null) goes in X-Forwarded-For. */
    static TestApp.Response post(TestApp app, String rawBody, String forwardedFor) {
        HttpRequest.Builder b = HttpRequest.newBuilder(app.url(AGENT_PATH)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(rawBody));
        if (forwardedFor != null) {
            b.header("X-Forwarded-For", forwardedFor);
        }
        return app.send(b.build());
    }

    /** A multipart upload exactly as asciinema 2.x builds it. */
    static TestApp.Response upload(TestApp app, String installId, byte[] cast, boolean acceptJson) {
        String boundary = UUID.randomUUID().toString().replace("-", "");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        write(body, "--" + boundary + "\r\n"
                + "content-disposition: form-data; name=\"asciicast\"; filename=\"ascii.cast\"\r\n"
                + "content-type: application/octet-stream\r\n\r\n");
        body.writeBytes(cast);
        write(body, "\r\n--" + boundary + "--\r\n");
        HttpRequest.Builder b = HttpRequest.newBuilder(app.url(ASCIICAST_PATH)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        if (acceptJson) {
            b.header("Accept", "application/json");
        }
        if (installId != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString(("someone:" + installId).getBytes(StandardCharsets.UTF_8)));
        }
        return app.send(b.build());
    }

    private static void write(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return TestApp.JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
