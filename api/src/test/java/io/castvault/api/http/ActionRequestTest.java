package io.castvault.api.http;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.castvault.core.CastvaultException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActionRequestTest {
    /** Lead bytes, continuation bytes and the edges between the forms the JDK accepts and refuses. */
    private static final int[] ALPHABET = {'a', '"', '\\', 0x00, 0x01, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
            0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFE, 0xFF};

    /**
     * The check agrees with the JDK's strict decoder on every sequence, wherever it falls in the 8-byte steps and
     * however the reads split it; a NUL byte is refused as not JSON.
     */
    @Test
    void theUtf8CheckRefusesExactlyWhatTheJdksStrictDecoderRefusesAndNulBytes() {
        Random random = new Random(20261126);
        for (int round = 0; round < 200_000; round++) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (int i = random.nextInt(20); i > 0; i--) {
                body.write('x');
            }
            for (int i = random.nextInt(6); i > 0; i--) {
                body.write(ALPHABET[random.nextInt(ALPHABET.length)]);
            }
            for (int i = random.nextInt(12); i > 0; i--) {
                body.write('y');
            }
            byte[] bytes = body.toByteArray();
            String hex = HexFormat.of().formatHex(bytes);
            boolean utf8 = jdkDecodes(bytes);
            boolean nul = hasNul(bytes);
            IOException refused = readThrough(bytes, random.nextLong());
            if (utf8 && !nul) {
                assertNull(refused, hex);
            } else if (!utf8 && !nul) {
                assertInstanceOf(StrictUtf8.Malformed.class, refused, hex);
            } else if (utf8) {
                assertInstanceOf(StrictUtf8.NotJson.class, refused, hex);
            } else {
                assertNotNull(refused, hex); // both: whichever comes first
            }
        }
    }

    @Test
    void everyUnicodeFormRoundTripsThroughAStringField() {
        String text = "plain é € 😀 \u001b[0m end";
        ActionRequest req = parse(("{\"chunk_data\": \"" + text.replace("\u001b", "\\u001b") + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(text, req.optionalString("chunk_data"));
    }

    @Test
    void invalidUtf8ABomAndNulBytesAreRefusedWithTheirReason() {
        assertEquals("request body is not valid UTF-8", refusal(new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xC0,
                (byte) 0xAF, '"', '}'}));
        assertEquals("request body is not valid UTF-8", refusal(new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xED,
                (byte) 0xA0, (byte) 0x80, '"', '}'}));
        // read as UTF-16 by Jackson's detection, this would be {"a":1}
        assertEquals("request body is not valid JSON", refusal(new byte[]{0, '{', 0, '"', 0, 'a', 0, '"', 0, ':', 0,
                '1', 0, '}'}));
        assertEquals("request body is not valid JSON", refusal(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{',
                '}'}));
        for (long seed = 0; seed < 20; seed++) {
            assertInstanceOf(StrictUtf8.NotJson.class, readThrough(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF,
                    '{', '}'}, seed), "a BOM split across reads");
        }
        assertEquals("request body must be a JSON object", refusal(new byte[0]));
    }

    /** Reads the bytes through the check a few at a time; what it refused them with, or null. */
    private static IOException readThrough(byte[] bytes, long seed) {
        Random split = new Random(seed);
        InputStream trickle = new FilterInputStream(new ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1 + split.nextInt(9)));
            }
        };
        try (InputStream checked = new StrictUtf8(trickle)) {
            byte[] buffer = new byte[16];
            while (checked.read(buffer, 0, buffer.length) >= 0) {
                // read to the end
            }
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    /**
     * chunk_data is decoded from the body's bytes (never made a Java string): the bytes are exactly the UTF-8 of
     * the string Jackson reads, for every escape, every form of every plane, at every offset in the 8-byte steps,
     * with the body's length announced or not.
     */
    @Test
    void aBulkFieldDecodesToTheUtf8OfTheStringJacksonReads() throws IOException {
        Random random = new Random(20261127);
        String[] pieces = {"a", "xyzxyzxyzxyz", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\u0000", "\u001b",
                "\u007f", "é", "\u0800", "€", "\uffff", "😀", "\udbff\udfff", " ", "[0.5, \"o\", \"$ \"]\n"};
        ObjectMapper plain = new ObjectMapper();
        ObjectMapper asciiOnly = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
        for (int round = 0; round < 20_000; round++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(40); i > 0; i--) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            String quoted = (random.nextBoolean() ? plain : asciiOnly).writeValueAsString(text.toString());
            String body = "{\"pad\": \"" + "p".repeat(random.nextInt(9)) + "\", \"chunk_data\":" + " ".repeat(random.nextInt(3))
                    + quoted + ", \"chunk_index\": 3}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ActionRequest req = ActionRequest.parse(new ByteArrayInputStream(bytes), random.nextBoolean() ? bytes.length : -1);
            assertTrue(req.isBulk("chunk_data"), body);
            assertArrayEquals(text.toString().getBytes(StandardCharsets.UTF_8), req.optionalUtf8("chunk_data"), body);
            if (text.indexOf("\u0000") < 0) {
                assertEquals(text.toString(), req.optionalString("chunk_data"), body);
            } else {
                // as a plain string field it would go to the database, whose text cannot hold U+0000
                assertThrows(io.castvault.core.CastvaultException.class, () -> req.optionalString("chunk_data"), body);
            }
            assertEquals(3, req.optionalInt("chunk_index", 0, 0, 10));
        }
        // a body past the first allocation (256 KiB) is read as it grows, whether its length is announced or not
        String large = "é\u001b[0m\"€😀".repeat(60_000);
        byte[] bytes = ("{\"chunk_data\": " + asciiOnly.writeValueAsString(large) + "}").getBytes(StandardCharsets.UTF_8);
        for (long announced : new long[]{bytes.length, -1}) {
            assertArrayEquals(large.getBytes(StandardCharsets.UTF_8), ActionRequest.parse(new ByteArrayInputStream(bytes),
                    announced).optionalUtf8("chunk_data"));
        }
    }

    @Test
    void aBulkFieldRefusesUnpairedSurrogatesAndKeepsEveryCheckOfTheBody() {
        for (String escape : new String[]{"\\ud800", "\\udc00", "\\ud800x", "\\ud800\\u0041", "\\udbff\\ud800", "x\\ud800"}) {
            for (String around : new String[]{"{\"chunk_data\": \"%s\"}", "{\"chunk_data\": \"%s\", \"nested\": {}}"}) {
                byte[] body = utf8(around.formatted(escape));
                assertEquals("chunk_data holds an unpaired surrogate escape (\\uD800-\\uDFFF)",
                        assertThrows(CastvaultException.class, () -> parse(body).optionalUtf8("chunk_data")).getMessage(),
                        "read by either reader: " + around.formatted(escape));
            }
        }
        assertEquals("get", parse(utf8("{\"chunk_data\": \"\\ud800\", \"action\": \"get\"}")).optionalString("action"),
                "refused only when asked for, whichever reader read the body");
        assertArrayEquals(utf8("a/bé😀\""), parse(utf8("{\"chunk_data\": \"a\\/b\\u00E9\\uD83D\\ude00\\\"\"}"))
                .optionalUtf8("chunk_data"), "escapes Jackson never writes");
        assertEquals("request body is not valid JSON", refusal(utf8("{\"chunk_data\": \"a\\qb\"}")));
        assertEquals("request body is not valid JSON", refusal(utf8("{\"chunk_data\": \"a\nb\"}")));
        assertEquals("request body is not valid JSON", refusal(utf8("{\"chunk_data\": \"ab}")));
        assertEquals("request body is not valid JSON", refusal(utf8("{\"chunk_data\": \"a\", \"chunk_data\": \"b\"}")));
        assertEquals("request body is not valid JSON", refusal(utf8("{\"chunk_data\": \"a\"} {}")));
        assertEquals("request body is not valid JSON", refusal(utf8("{\"chunk_data\": \"a\"")));
        assertEquals("chunk_data must be a string", assertThrows(CastvaultException.class,
                () -> parse(utf8("{\"chunk_data\": 5}")).optionalUtf8("chunk_data")).getMessage());
        assertNull(parse(utf8("{\"chunk_data\": null}")).optionalUtf8("chunk_data"));
        assertNull(parse(utf8("{}")).optionalUtf8("chunk_data"));
        byte[] body = utf8("{\"chunk_data\": \"abc\"}");
        assertEquals("the request body is shorter than its Content-Length", assertThrows(CastvaultException.class,
                () -> ActionRequest.parse(new ByteArrayInputStream(body), body.length + 5)).getMessage());
        assertEquals("the request body is longer than its Content-Length", assertThrows(CastvaultException.class,
                () -> ActionRequest.parse(new ByteArrayInputStream(body), body.length - 2)).getMessage());
    }

    private static final ObjectMapper JACKSON = JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /**
     * Whatever the flat reader accepts, Jackson reads to the same fields (a bulk field as the string of its bytes);
     * whatever it is unsure of it leaves to Jackson. Bodies are built from valid and broken pieces of every kind.
     */
    @Test
    void theFlatReaderAcceptsOnlyWhatJacksonReadsTheSame() {
        Random random = new Random(7);
        String[] names = {"\"action\"", "\"chunk_data\"", "\"chunk_index\"", "\"chunk\\u005fdata\"", "\"a\"", "\"\"",
                "\"\\u0061\"", "\"\\ud800\"", "action", "\"a\nb\""};
        String[] values = {"\"upload_chunk\"", "\"x\\\"y\"", "\"\\u001b[0m\"", "\"a\tb\"", "\"\\ud83d\\ude00\"", "\"\\ud83d\"",
                "\"\\q\"", "\"\\u12G4\"", "\"é€\"", "0", "-0", "12", "999999999", "-999999999", "1000000000", "2147483648", "-2147483649", "0.0", "-0e0", "-3.5e2", "1E400", "01", "+1", "1.", ".5", "-",
                "12345678901234567890", "1e", "true", "false", "null", "nul", "truex", "{}", "[1, 2]", "{\"a\": 1}",
                "\"abc", "NaN"};
        String[] spaces = {"", " ", "\n", "\t ", "\r\n", "\u00a0"};
        int accepted = 0;
        int rounds = 30_000;
        for (int round = 0; round < rounds; round++) {
            StringBuilder body = new StringBuilder(spaces[random.nextInt(spaces.length)]).append('{');
            for (int i = random.nextInt(5); i > 0; i--) {
                body.append(spaces[random.nextInt(spaces.length)]).append(names[random.nextInt(names.length)])
                        .append(spaces[random.nextInt(spaces.length)]).append(random.nextInt(30) == 0 ? "" : ":")
                        .append(spaces[random.nextInt(spaces.length)]).append(values[random.nextInt(values.length)])
                        .append(i > 1 ? (random.nextInt(30) == 0 ? "" : ",") : "");
            }
            body.append(spaces[random.nextInt(spaces.length)]).append(random.nextInt(30) == 0 ? "" : "}")
                    .append(random.nextInt(20) == 0 ? " {}" : "").append(spaces[random.nextInt(spaces.length)]);
            byte[] bytes = utf8(body.toString());
            FlatJsonObject.Fields flat = FlatJsonObject.read(bytes, java.util.Set.of("chunk_data"), JACKSON);
            com.fasterxml.jackson.databind.JsonNode tree;
            try {
                tree = JACKSON.readTree(bytes);
            } catch (IOException e) {
                tree = null;
            }
            if (flat == null) {
                continue;
            }
            accepted++;
            assertNotNull(tree, "the flat reader accepted what Jackson refuses: " + body);
            com.fasterxml.jackson.databind.node.ObjectNode expected = flat.values().deepCopy();
            flat.bulk().forEach((name, value) -> expected.put(name, new String(value, StandardCharsets.UTF_8)));
            assertEquals(tree, expected, body.toString());
        }
        assertTrue(accepted > rounds / 10, "the flat reader read " + accepted + " bodies");
    }

    /**
     * Many short escaped strings cost memory in proportion to the body, not to the body times the strings: each
     * one allocating the rest of the body made this 280 KB body allocate about 2.8 GB.
     */
    @Test
    void manyEscapedStringsAllocateInProportionToTheBody() {
        StringBuilder body = new StringBuilder("{");
        int fields = 20_000;
        for (int i = 0; i < fields; i++) {
            body.append(i == 0 ? "" : ",").append("\"a").append(i).append("\":\"\\n\"");
        }
        byte[] bytes = utf8(body.append('}').toString());
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        ActionRequest req = parse(bytes);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals("\n", req.optionalString("a" + (fields - 1)));
        assertTrue(allocated < 64L * bytes.length, "allocated " + allocated + " bytes for a body of " + bytes.length);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static ActionRequest parse(byte[] body) {
        return ActionRequest.parse(new ByteArrayInputStream(body), -1);
    }

    private static String refusal(byte[] body) {
        return assertThrows(CastvaultException.class, () -> parse(body)).getMessage();
    }

    private static boolean jdkDecodes(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static boolean hasNul(byte[] bytes) {
        for (byte b : bytes) {
            if (b == 0) {
                return true;
            }
        }
        return false;
    }
}
