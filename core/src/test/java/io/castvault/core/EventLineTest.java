package io.castvault.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link EventLine} against Jackson's own reading of the same lines (what CastParser asked Jackson before). */
class EventLineTest {
    private static final JsonFactory JACKSON = new JsonFactory();
    private static final Set<String> CODES = Set.of("o", "i", "m", "r", "x");
    private static final String[] NUMBERS = {"0", "-0", "7", "12", "1.5", "0.25", "1e5", "1E+2", "2e-3", "-1", "10.000",
        "01", "1.", "-", ".5", "+1", "1e", "1e+", "0x1", "NaN", "1.2.3", "00", "-01", "--1", "1e5.5", "Infinity",
        "123456789012345678901234567890123", "\"1\"", "true", "null", "[]", "{}", ""};
    private static final String[] CODE_STRINGS = {"\"o\"", "\"i\"", "\"m\"", "\"r\"", "\"x\"", "\"q\"", "\"O\"",
        "\"\\u006f\"", "\"\\u006F\"", "\"\\u0069\"", "\"oo\"", "\"\"", "o", "5", "\"\\/\"", "\"\\o\"", "\"xu006f\"",
        "\"\\u006\"", "\"\\u00６f\"", "\"o", "null"};
    private static final String[] SPACE = {"", "", " ", " ", "  ", "\t", "\r", "\n"};
    private static final String[] NOT_SPACE = {"\u00a0", "\u000b", "\ufeff", "\u2003", "\u0000", "\f"};
    private static final String[] DATA_PIECES = {"a", "hello", " ", "é", "😀", "\ufeff", "\\n", "\\\"", "\\\\", "\\/",
        "\\b", "\\f", "\\r", "\\t", "\\u001b", "\\u00E9", "\\uD83D\\uDE00", "\\uD800", "[0m", "\\x", "\\u12", "\\u12G4",
        "\\u００41", "\"", "\\", "\u0001", "\t", "\u007f", ",", "]", "[", "\u0000"};

    /** The time's text as Jackson reads an event line, or null where Jackson refuses it (the former check). */
    private static String jackson(String line) {
        try (JsonParser p = JACKSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                return null;
            }
            JsonToken t = p.nextToken();
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                return null;
            }
            String time = p.getText();
            if (p.nextToken() != JsonToken.VALUE_STRING || !CODES.contains(p.getText())
                    || p.nextToken() != JsonToken.VALUE_STRING || p.nextToken() != JsonToken.END_ARRAY
                    || p.nextToken() != null) {
                return null;
            }
            return time;
        } catch (IOException e) {
            return null;
        }
    }

    private static String ours(String text, int from, int to) {
        try {
            EventLine.Time t = EventLine.scan(text.toCharArray(), from, to);
            return text.substring(t.start(), t.end());
        } catch (EventLine.Malformed e) {
            return null;
        }
    }

    private static String pick(Random r, String[] from) {
        return from[r.nextInt(from.length)];
    }

    private static String space(Random r) {
        return r.nextInt(40) == 0 ? pick(r, NOT_SPACE) : pick(r, SPACE);
    }

    private static String line(Random r) {
        StringBuilder data = new StringBuilder("\"");
        for (int k = r.nextInt(6); k > 0; k--) {
            // mostly valid pieces, so that most lines get as far as the data
            data.append(r.nextInt(4) == 0 ? pick(r, DATA_PIECES) : pick(r, new String[] {"ab", "\\u001b[1m", "x y", "\\\""}));
        }
        data.append('"');
        String time = r.nextInt(3) == 0 ? pick(r, NUMBERS) : String.valueOf(r.nextInt(1000)) + (r.nextBoolean() ? "." + r.nextInt(1000) : "");
        String code = r.nextInt(3) == 0 ? pick(r, CODE_STRINGS) : "\"o\"";
        String sep = r.nextInt(20) == 0 ? pick(r, new String[] {"", ";", ",,", ":"}) : ",";
        String[] parts = {space(r), "[", space(r), time, space(r), sep, space(r), code,
            space(r), ",", space(r), data.toString(), space(r),
            r.nextInt(15) == 0 ? pick(r, new String[] {"", ",", ", \"x\"]", "]]", "} "}) : "]", space(r),
            r.nextInt(20) == 0 ? pick(r, new String[] {"x", "[", "//", "#", "\"\""}) : ""};
        if (r.nextInt(10) == 0) {
            parts[r.nextInt(parts.length)] = "";
        }
        String s = String.join("", parts);
        if (r.nextInt(10) == 0 && !s.isEmpty()) {
            // a character dropped, or one inserted, anywhere
            int at = r.nextInt(s.length());
            s = r.nextBoolean() ? s.substring(0, at) + s.substring(at + 1)
                    : s.substring(0, at) + pick(r, new String[] {"\"", "\\", ",", " ", "]", "0", "\u0002"}) + s.substring(at);
        }
        return s;
    }

    @Test
    void acceptsExactlyTheLinesJacksonAcceptsAndFindsTheSameTime() {
        Random r = new Random(20261126);
        int accepted = 0;
        for (int n = 0; n < 300_000; n++) {
            String line = line(r);
            String expected = jackson(line);
            // the line also inside a longer text, as a chunk holds it
            String padded = "[0, \"o\", \"before\"]\n" + line + "\n[1, \"o\", \"after\"]";
            int from = padded.indexOf('\n') + 1;
            assertEquals(expected, ours(padded, from, from + line.length()), () -> "line: " + escape(line));
            accepted += expected == null ? 0 : 1;
        }
        // the generator must exercise both verdicts in earnest
        assertTrue(accepted > 50_000 && accepted < 250_000, "accepted " + accepted);
    }

    @Test
    void eachRefusalSaysWhichPartIsWrong() {
        assertMalformed("{\"a\": 1}", "event must be a JSON array [time, code, data]");
        assertMalformed("[\"1\", \"o\", \"x\"]", "event time must be a number");
        assertMalformed("[01, \"o\", \"x\"]", "event is not valid JSON");
        assertMalformed("[1]", "event code must be one of \"o\", \"i\", \"m\", \"r\", \"x\"");
        assertMalformed("[1, \"q\", \"x\"]", "event code must be one of \"o\", \"i\", \"m\", \"r\", \"x\"");
        assertMalformed("[1, \"o\"]", "event data must be a string");
        assertMalformed("[1, \"o\", 5]", "event data must be a string");
        assertMalformed("[1, \"o\", \"x\", 2]", "event must have exactly three elements");
        assertMalformed("[1, \"o\", \"x\"] trailing", "unexpected content after the event");
        assertMalformed("[1, \"o\", \"a\u0001b\"]", "event is not valid JSON");
        assertMalformed("[1, \"o\", \"\\u12G4\"]", "event is not valid JSON");
        assertMalformed("[1, \"o\", \"open]", "event is not valid JSON");
    }

    private static void assertMalformed(String line, String why) {
        assertEquals(why, assertThrows(EventLine.Malformed.class, () -> EventLine.scan(line.toCharArray(), 0, line.length())).getMessage(), line);
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.chars().forEach(c -> b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return b.toString();
    }
}
