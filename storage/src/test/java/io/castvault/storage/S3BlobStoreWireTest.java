package io.castvault.storage;

import com.sun.net.httpserver.HttpServer;
import io.castvault.core.Hashing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link S3BlobStore} sends, read off the wire by a bare HTTP listener that answers like S3 (the real
 * servers' side of the same puts is {@link BlobStoreContractTest}): a put is signed with the checksum header and
 * without a payload hash, so the client never hashes the body for its signature ({@link ChecksumBoundSigner}).
 */
class S3BlobStoreWireTest {
    private record Seen(String method, String path, Map<String, String> headers, byte[] body) {
    }

    private final List<Seen> seen = new ArrayList<>();
    private HttpServer server;

    @BeforeEach
    void listen() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, String.join(",", values)));
            synchronized (seen) {
                seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), headers, body));
            }
            exchange.getResponseHeaders().add("ETag", "\"etag\"");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void aPutCarriesItsChecksumSignedAndNoPayloadHash() {
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        byte[] content = "[0.5, \"o\", \"hello\"]\n".getBytes(StandardCharsets.UTF_8);
        ObjectKey key = ObjectKey.chunk(UUID.randomUUID(), UUID.randomUUID(), 3);
        try (S3BlobStore store = new S3BlobStore(new S3Settings(endpoint, "us-east-1", "wire-bucket", "access",
                "secret"))) {
            store.put(key, content, Hashing.sha256(content), "application/x-asciicast");
        }

        assertEquals(1, seen.size());
        Seen put = seen.getFirst();
        assertEquals("PUT", put.method());
        assertEquals("/wire-bucket/" + key.value(), put.path());
        assertArrayEquals(content, put.body());
        assertEquals(Base64.getEncoder().encodeToString(Hashing.sha256(content)), put.headers().get("x-amz-checksum-sha256"));
        assertEquals("UNSIGNED-PAYLOAD", put.headers().get("x-amz-content-sha256"));
        String signedHeaders = put.headers().get("Authorization").replaceAll(".*SignedHeaders=([^,]*).*", "$1");
        assertTrue(List.of(signedHeaders.split(";")).contains("x-amz-checksum-sha256"), signedHeaders);
    }

    @Test
    void aFinishedCallLeavesNoTimeoutArmed() {
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        byte[] content = "[0.5, \"o\", \"hello\"]\n".getBytes(StandardCharsets.UTF_8);
        try (S3BlobStore store = new S3BlobStore(new S3Settings(endpoint, "us-east-1", "wire-bucket", "access",
                "secret"))) {
            for (int i = 0; i < 20; i++) {
                store.put(ObjectKey.chunk(UUID.randomUUID(), UUID.randomUUID(), i), content, Hashing.sha256(content),
                        "application/x-asciicast");
            }
            // each call armed its attempt and call timeouts; with the SDK's own pool all 40 would still be queued
            assertEquals(0, store.armedTimeouts());
        }
        assertEquals(20, seen.size());
    }
}
