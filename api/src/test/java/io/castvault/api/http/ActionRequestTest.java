package io.castvault.api.http;

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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

    private static ActionRequest parse(byte[] body) {
        return ActionRequest.parse(new ByteArrayInputStream(body));
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
