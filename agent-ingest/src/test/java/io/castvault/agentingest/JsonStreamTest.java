package io.castvault.agentingest;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import org.junit.jupiter.api.Test;

import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonStreamTest {
    /** Hands out one character per read, so every token straddles buffer refills. */
    static Reader trickle(String s) {
        return new Reader() {
            final StringReader in = new StringReader(s);

            @Override
            public int read(char[] buf, int off, int len) throws java.io.IOException {
                return in.read(buf, off, Math.min(len, 1));
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void stringsAreStreamedDecodedAndTheRestSkipped() {
        String body = " { \"a\" : [1, -2.5e3, true, false, null, {\"b\": [[]]}, \"s\\\"\"] , \"t\":\"x\\n\\u00e9\\ud83d\\ude00\\/\\\\\\t\", "
                + "\"n\": 12.75, \"z\": null } ";
        JsonStream json = new JsonStream(trickle(body));
        json.beginObject();
        assertEquals("a", json.nextName(10));
        json.skipValue();
        assertEquals("t", json.nextName(10));
        StringBuilder got = new StringBuilder();
        List<Integer> pieces = new ArrayList<>();
        json.readString((c, o, l) -> {
            got.append(c, o, l);
            pieces.add(l);
        }, "t");
        assertEquals("x\né😀/\\\t", got.toString());
        assertEquals("n", json.nextName(10));
        assertEquals(12.75, json.readNumber("n"));
        assertEquals("z", json.nextName(10));
        assertTrue(json.nextIsNull());
        assertNull(json.nextName(10));
        json.end();
    }

    @Test
    void longStringsArriveInPieces() {
        String big = "q".repeat(100_000);
        JsonStream json = new JsonStream(new StringReader("\"" + big + "\""));
        List<Integer> pieces = new ArrayList<>();
        StringBuilder got = new StringBuilder();
        json.readString((c, o, l) -> {
            pieces.add(l);
            got.append(c, o, l);
        }, "v");
        assertEquals(big, got.toString());
        assertTrue(pieces.size() > 10, "delivered in " + pieces.size() + " pieces");
    }

    @Test
    void malformedJsonIsInvalidInput() {
        for (String bad : new String[] {"", "[]", "{", "{\"a\" 1}", "{\"a\": 1,}", "{\"a\": 01}", "{\"a\": tru}",
                "{\"a\": \"\\x\"}", "{\"a\": \"raw\nnewline\"}", "{\"a\": \"unterminated}", "{} {}", "{\"a\": 1 \"b\": 2}",
                "{\"a\": \"\\u12g4\"}", "{\"a\": " + "[".repeat(100) + "}"}) {
            CastvaultException e = assertThrows(CastvaultException.class, () -> {
                JsonStream json = new JsonStream(new StringReader(bad));
                json.beginObject();
                while (json.nextName(100) != null) {
                    json.skipValue();
                }
                json.end();
            }, bad);
            assertEquals(ErrorCode.INVALID_INPUT, e.code(), bad);
        }
        JsonStream json = new JsonStream(new StringReader("{\"k\": \"" + "a".repeat(300) + "\"}"));
        json.beginObject();
        json.nextName(10);
        assertEquals(ErrorCode.INVALID_INPUT,
                assertThrows(CastvaultException.class, () -> json.readString(256, "k")).code());
    }

    @Test
    void whatIsSkippedIsBoundedToo() {
        // issue 11: the member name of a skipped object used to be built whatever its length
        for (String body : new String[] {
                "{\"x\": {\"" + "n".repeat(JsonStream.MAX_SKIPPED_NAME_CHARS + 1) + "\": 1}}",
                "{\"x\": \"" + "s".repeat((int) JsonStream.MAX_SKIPPED_STRING_CHARS + 1) + "\"}",
                "{\"x\": [\"" + "s".repeat((int) JsonStream.MAX_SKIPPED_STRING_CHARS + 1) + "\"]}"}) {
            JsonStream json = new JsonStream(new StringReader(body));
            json.beginObject();
            assertEquals("x", json.nextName(10));
            CastvaultException e = assertThrows(CastvaultException.class, json::skipValue);
            assertEquals(ErrorCode.INVALID_INPUT, e.code());
        }
        JsonStream fits = new JsonStream(new StringReader("{\"x\": {\"" + "n".repeat(JsonStream.MAX_SKIPPED_NAME_CHARS)
                + "\": \"" + "s".repeat((int) JsonStream.MAX_SKIPPED_STRING_CHARS) + "\"}}"));
        fits.beginObject();
        fits.nextName(10);
        fits.skipValue();
        assertNull(fits.nextName(10));
    }
}
