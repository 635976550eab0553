package io.castvault.core;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CastParserTest {

    @Test
    void chunkEventsAreCountedAndTheLatestTimeKept() {
        CastSummary s = CastParser.inspect("[0, \"o\", \"$ \"]\n[1.25, \"o\", \"hi\"]\n[0.5, \"i\", \"x\"]\n", CastParser.forChunk(false));
        assertEquals(3, s.eventCount());
        assertEquals(0, new BigDecimal("1.25").compareTo(s.lastTime()));
        assertTrue(s.header().isEmpty());
    }

    @Test
    void onlyTheFirstChunkMayStartWithAHeader() {
        String text = "{\"version\": 2, \"width\": 100, \"height\": 30}\n[0.1, \"o\", \"a\"]";
        CastSummary s = CastParser.inspect(text, CastParser.forChunk(true));
        assertEquals("{\"version\": 2, \"width\": 100, \"height\": 30}", s.header().orElseThrow().line());
        assertThrows(CastvaultException.class, () -> CastParser.inspect(text, CastParser.forChunk(false)));
    }

    @Test
    void malformedEventsAreInvalidInputWithTheLineNumber() {
        for (String bad : new String[] {"[0, \"o\"]", "[0, \"q\", \"x\"]", "[-1, \"o\", \"x\"]", "[\"1\", \"o\", \"x\"]",
                "{\"a\": 1}", "[0, \"o\", 5]", "[0, \"o\", \"x\"] trailing", "not json"}) {
            CastvaultException e = assertThrows(CastvaultException.class,
                    () -> CastParser.inspect("[0, \"o\", \"ok\"]\n" + bad, CastParser.forChunk(false)), bad);
            assertEquals(ErrorCode.INVALID_INPUT, e.code());
            assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        }
    }

    @Test
    void blankLinesAreSkippedAsAsciinemasReadersDo() {
        assertEquals(2, CastParser.inspect("[0, \"o\", \"x\"]\n\n  \r\n[1, \"o\", \"y\"]\n\n", CastParser.forChunk(false)).eventCount());
        CastParser v2 = CastParser.forFile();
        assertEquals("{\"version\": 2, \"width\": 96, \"height\": 26}", v2.accept("{\"version\": 2, \"width\": 96, \"height\": 26}"));
        assertEquals("[0.5, \"o\", \"a\"]", v2.accept("[0.5, \"o\", \"a\"]"));
        assertNull(v2.accept(""));
        assertEquals("[1.5, \"o\", \"b\"]", v2.accept("[1.5, \"o\", \"b\"]"));
        assertEquals(2, v2.finish().eventCount());
        CastParser v3 = CastParser.forFile();
        v3.accept("{\"version\": 3, \"term\": {\"cols\": 96, \"rows\": 26}}");
        assertNull(v3.accept("# a comment right after the header"));
        assertEquals("[1.5, \"o\", \"a\"]", v3.accept("[1.5, \"o\", \"a\"]"));
        assertNull(v3.accept(""));
        assertNull(v3.accept("#"));
        assertEquals("[2.0, \"o\", \"b\"]", v3.accept("[0.5, \"o\", \"b\"]"));
        assertEquals(2, v3.finish().eventCount());
        // a comment is v3 syntax only
        assertThrows(CastvaultException.class, () -> CastParser.inspect("{\"version\": 2, \"width\": 9, \"height\": 9}\n# no", CastParser.forFile()));
    }

    @Test
    void eventTimesAreFiniteNonNegativeAndBoundedBeforeAnyArithmetic() {
        for (String time : new String[] {"1e309", "1e50000000", "1e999999999", "1e9999999999", "-1e999999999",
                "1e-400", "0.1e-50", "1000000000.5", "1e10", "-1", "-0.000001", "123456789012345678901234567890123"}) {
            for (boolean v3 : new boolean[] {false, true}) {
                long started = System.nanoTime();
                String header = v3 ? "{\"version\": 3, \"term\": {\"cols\": 9, \"rows\": 9}}" : "{\"version\": 2, \"width\": 9, \"height\": 9}";
                CastvaultException e = assertThrows(CastvaultException.class,
                        () -> CastParser.inspect(header + "\n[0, \"o\", \"ok\"]\n[" + time + ", \"o\", \"x\"]", CastParser.forFile()), time);
                assertEquals(ErrorCode.INVALID_INPUT, e.code());
                assertTrue(e.getMessage().contains("line 3: event time"), e.getMessage());
                assertTrue(System.nanoTime() - started < 1_000_000_000L, "took too long for " + time);
            }
        }
        // the v3 clock is the sum of intervals and is bounded too
        CastvaultException sum = assertThrows(CastvaultException.class, () -> CastParser.inspect(
                "{\"version\": 3, \"term\": {\"cols\": 9, \"rows\": 9}}\n[600000000, \"o\", \"a\"]\n[600000000, \"o\", \"b\"]", CastParser.forFile()));
        assertTrue(sum.getMessage().contains("line 3"), sum.getMessage());
        // edges that are fine: negative zero, the bound itself, many (but not absurdly many) decimals
        CastSummary ok = CastParser.inspect("[-0, \"o\", \"a\"]\n[-0.0, \"o\", \"a\"]\n[1000000000, \"o\", \"b\"]\n[0.30000000000000004, \"o\", \"c\"]\n[1E+2, \"o\", \"d\"]",
                CastParser.forChunk(false));
        assertEquals(0, CastParser.MAX_EVENT_SECONDS.compareTo(ok.lastTime()));
        CastParser v3 = CastParser.forFile();
        v3.accept("{\"version\": 3, \"term\": {\"cols\": 9, \"rows\": 9}}");
        assertEquals("[0, \"o\", \"a\"]", v3.accept("[-0, \"o\", \"a\"]"));
        assertEquals("[0.5, \"o\", \"a\"]", v3.accept("[5e-1, \"o\", \"a\"]"));
    }

    @Test
    void headerNumbersAreBounded() {
        for (String header : new String[] {
                "{\"version\": 2, \"width\": 10001, \"height\": 9}",
                "{\"version\": 2, \"width\": 0, \"height\": 9}",
                "{\"version\": 2, \"width\": 9, \"height\": 1e3}",
                "{\"version\": 2, \"width\": 9, \"height\": 99999999999999999999}",
                "{\"version\": 2, \"width\": 9, \"height\": 9, \"timestamp\": 1e309}",
                "{\"version\": 2, \"width\": 9, \"height\": 9, \"idle_time_limit\": -1}",
                "{\"version\": 2, \"width\": 9, \"height\": 9, \"duration\": \"long\"}",
                "{\"version\": 3, \"term\": {\"cols\": 9, \"rows\": 20000}}",
                "{\"version\": 3, \"term\": {\"cols\": 9, \"rows\": 9}, \"idle_time_limit\": 1e400}"}) {
            CastvaultException e = assertThrows(CastvaultException.class, () -> CastParser.inspect(header, CastParser.forFile()), header);
            assertTrue(e.getMessage().contains("line 1: header field"), e.getMessage());
        }
    }

    @Test
    void theV3RewriteKeepsEveryHeaderFieldV2Has() {
        CastParser p = CastParser.forFile();
        String v2 = p.accept("{\"version\": 3, \"term\": {\"cols\": 90, \"rows\": 20, \"type\": \"xterm-256color\", \"version\": \"ghostty 1\","
                + " \"theme\": {\"fg\": \"#aaaaaa\", \"bg\": \"#bbbbbb\", \"palette\": \"#151515:#ac4142\"}},"
                + " \"timestamp\": 1700000000, \"idle_time_limit\": 2.5, \"command\": \"bash\", \"title\": \"demo\","
                + " \"env\": {\"SHELL\": \"/bin/zsh\"}, \"tags\": [\"x\"]}");
        assertEquals("{\"version\":2,\"width\":90,\"height\":20,\"timestamp\":1700000000,\"idle_time_limit\":2.5,"
                + "\"command\":\"bash\",\"title\":\"demo\",\"env\":{\"SHELL\":\"/bin/zsh\",\"TERM\":\"xterm-256color\"},"
                + "\"theme\":{\"fg\":\"#aaaaaa\",\"bg\":\"#bbbbbb\",\"palette\":\"#151515:#ac4142\"}}", v2);
    }

    @Test
    void aFileNeedsAHeader() {
        assertThrows(CastvaultException.class, () -> CastParser.inspect("[0, \"o\", \"x\"]", CastParser.forFile()));
        assertThrows(CastvaultException.class, () -> CastParser.inspect("", CastParser.forFile()));
        assertThrows(CastvaultException.class, () -> CastParser.inspect("{\"version\": 1}", CastParser.forFile()));
    }

    @Test
    void version3IsRewrittenToVersion2WithAbsoluteTimesAndExactData() {
        CastParser p = CastParser.forFile();
        String header = p.accept("{\"version\": 3, \"term\": {\"cols\": 90, \"rows\": 20, \"type\": \"xterm\"}, \"timestamp\": 1700000000}");
        assertEquals("{\"version\":2,\"width\":90,\"height\":20,\"timestamp\":1700000000,\"env\":{\"TERM\":\"xterm\"}}", header);
        assertEquals("[0.1, \"o\", \"a\\u001b[0m\"]", p.accept("[0.1, \"o\", \"a\\u001b[0m\"]"));
        assertNull(p.accept("# a comment"));
        assertEquals("[0.3, \"o\", \"b\"]", p.accept("[0.2, \"o\", \"b\"]"), "0.1 + 0.2 is exactly 0.3 here");
        assertEquals("[1.3,\"x\",\"0\"]", p.accept("[1.0,\"x\",\"0\"]"));
        CastSummary s = p.finish();
        assertEquals(3, s.eventCount());
        assertEquals(0, new BigDecimal("1.3").compareTo(s.lastTime()));
    }

    @Test
    void idsMustBeCanonicalUuids() {
        assertEquals("11111111-2222-3333-4444-555555555555", Ids.parse("x", "11111111-2222-3333-4444-555555555555").toString());
        assertEquals(ErrorCode.INVALID_INPUT, assertThrows(CastvaultException.class, () -> Ids.parse("x", "1-1-1-1-1")).code());
        assertEquals(ErrorCode.MISSING_FIELDS, assertThrows(CastvaultException.class, () -> Ids.parse("x", "")).code());
    }
}
