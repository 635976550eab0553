package io.castvault.api.http;

import io.castvault.core.CastvaultException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultipartFieldTest {
    static final String BOUNDARY = "XyZ-b0undary";
    static final String TYPE = "multipart/form-data; boundary=" + BOUNDARY;

    static byte[] body(String preamble, String... namesAndContents) {
        StringBuilder b = new StringBuilder(preamble);
        for (int i = 0; i < namesAndContents.length; i += 2) {
            b.append("--").append(BOUNDARY).append("\r\n")
                    .append("Content-Disposition: form-data; name=\"").append(namesAndContents[i])
                    .append("\"; filename=\"x.cast\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .append(namesAndContents[i + 1]).append("\r\n");
        }
        return b.append("--").append(BOUNDARY).append("--\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Hands out the body a few bytes at a time, so boundaries fall across reads everywhere. */
    static InputStream trickle(byte[] body, long seed) {
        Random random = new Random(seed);
        return new FilterInputStream(new ByteArrayInputStream(body)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1 + random.nextInt(7)));
            }

            @Override
            public int available() {
                return 0;
            }
        };
    }

    static byte[] readField(InputStream body, String type, String name) throws IOException {
        try (InputStream field = MultipartField.open(body, type, name)) {
            return field.readAllBytes();
        }
    }

    @Test
    void deliversExactlyTheNamedFieldWhateverTheReadSizes() throws IOException {
        // content that nearly holds the delimiter: CRLF, dashes and a boundary prefix must come through untouched
        String content = "{\"version\": 2}\n[0.1, \"o\", \"a\"]\r\n--XyZ-b0undar\r\n-\r\r\n--" + "z".repeat(200_000) + "\r";
        byte[] body = body("a preamble that is ignored\r\n", "other", "not this\r\n--XyZ", "asciicast", content, "later", "nor this");
        for (long seed = 0; seed < 20; seed++) {
            assertArrayEquals(content.getBytes(StandardCharsets.ISO_8859_1), readField(trickle(body, seed), TYPE, "asciicast"));
        }
        assertArrayEquals(content.getBytes(StandardCharsets.ISO_8859_1), readField(new ByteArrayInputStream(body), TYPE, "asciicast"));
    }

    @Test
    void binaryContentAndAQuotedBoundary() throws IOException {
        byte[] content = new byte[300_000];
        new Random(7).nextBytes(content);
        byte[] head = ("--" + BOUNDARY + "\r\ncontent-disposition: form-data; name=\"asciicast\"\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] tail = ("\r\n--" + BOUNDARY + "--").getBytes(StandardCharsets.ISO_8859_1);
        byte[] body = new byte[head.length + content.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(content, 0, body, head.length, content.length);
        System.arraycopy(tail, 0, body, head.length + content.length, tail.length);
        String quoted = "multipart/form-data; charset=utf-8; boundary=\"" + BOUNDARY + "\"";
        assertArrayEquals(content, readField(trickle(body, 3), quoted, "asciicast"));
    }

    @Test
    void anEmptyFieldIsEmpty() throws IOException {
        assertEquals(0, readField(new ByteArrayInputStream(body("", "asciicast", "")), TYPE, "asciicast").length);
    }

    @Test
    void refusesWhatIsNotAFormWithTheField() {
        byte[] body = body("", "other", "x");
        assertInvalid(() -> readField(new ByteArrayInputStream(body), TYPE, "asciicast"), "no field \"asciicast\"");
        assertInvalid(() -> readField(new ByteArrayInputStream(body), "application/json", "asciicast"), "multipart/form-data");
        assertInvalid(() -> readField(new ByteArrayInputStream(body), "multipart/form-data", "asciicast"), "boundary");
        assertInvalid(() -> readField(new ByteArrayInputStream(body), null, "asciicast"), "boundary");

        byte[] whole = body("", "asciicast", "[1, \"o\", \"x\"]\n".repeat(1000));
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 40);
        assertInvalid(() -> readField(new ByteArrayInputStream(cut), TYPE, "asciicast"), "before its closing boundary");
        byte[] headersOnly = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"asciicast\"\r\n").getBytes(StandardCharsets.ISO_8859_1);
        assertInvalid(() -> readField(new ByteArrayInputStream(headersOnly), TYPE, "asciicast"), "headers");
        byte[] endless = ("--" + BOUNDARY + "\r\nX: " + "h".repeat(20_000)).getBytes(StandardCharsets.ISO_8859_1);
        assertInvalid(() -> readField(new ByteArrayInputStream(endless), TYPE, "asciicast"), "headers");
    }

    interface Read {
        void run() throws IOException;
    }

    static void assertInvalid(Read read, String message) {
        CastvaultException e = assertThrows(CastvaultException.class, read::run);
        assertEquals("INVALID_INPUT", e.code().name());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
