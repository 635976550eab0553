package io.castvault.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/** The service over HTTP, as any client sees it (CONTRACT.md §3 and §5). */
final class ServiceClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    ServiceClient(URI base) {
        this.base = base;
    }

    record Response(int status, JsonNode body) {
        /** The envelope's data, or an exception naming the error. */
        JsonNode data() {
            if (body == null || !body.path("success").asBoolean(false)) {
                throw new IllegalStateException("HTTP " + status + ": " + body);
            }
            return body.get("data");
        }
    }

    Response action(String token, Map<String, ?> fields) throws IOException, InterruptedException {
        return action(token, JSON.writeValueAsBytes(fields));
    }

    Response action(String token, byte[] body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve("/api/session-recording"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** A POST without a bearer token (the agent route authenticates with the node key in the body). */
    Response post(String path, byte[] body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** {@code upload_chunk} with the chunk already JSON-quoted, so the hot loop does not re-encode it. */
    void uploadChunk(String token, UUID org, UUID session, long index, String quotedChunk) throws IOException, InterruptedException {
        String body = "{\"action\":\"upload_chunk\",\"org_id\":\"" + org + "\",\"session_id\":\"" + session
                + "\",\"chunk_index\":" + index + ",\"chunk_data\":" + quotedChunk + "}";
        Response r = action(token, body.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        if (r.status() != 200) {
            throw new IllegalStateException("upload_chunk answered HTTP " + r.status() + ": " + r.body());
        }
    }

    /**
     * Streams the cast download to nowhere (through {@code digest} when given); returns the number of bytes. Read
     * with {@code HttpURLConnection}, a plain blocking reader like the SDK's client on the raw side: the JDK's
     * {@code HttpClient} spent 3-9 ms of CPU per MiB here (against 0.5-1.3), and on two shared cores that CPU is
     * taken from the service being measured.
     */
    long downloadCast(String token, UUID org, UUID session, java.security.MessageDigest digest) throws IOException {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection)
                base.resolve("/api/session-recording/" + org + "/" + session + "/cast").toURL().openConnection();
        c.setRequestProperty("Authorization", "Bearer " + token);
        int status = c.getResponseCode();
        if (status != 200) {
            InputStream err = c.getErrorStream();
            throw new IllegalStateException("cast download answered HTTP " + status + ": "
                    + (err == null ? "" : new String(err.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)));
        }
        try (InputStream in = c.getInputStream()) {
            byte[] buf = new byte[64 << 10];
            long total = 0;
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
                if (digest != null) {
                    digest.update(buf, 0, n);
                }
            }
            return total;
        }
    }

    boolean healthy() {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("/health")).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Response send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        JsonNode body = null;
        try {
            body = r.body().length == 0 ? null : JSON.readTree(r.body());
        } catch (IOException notJson) {
            // kept as null: the status tells what happened (e.g. a 404 page for an unknown route)
        }
        return new Response(r.statusCode(), body);
    }
}
