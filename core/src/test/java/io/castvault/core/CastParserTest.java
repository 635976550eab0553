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
        CastvaultException blank = assertThrows(CastvaultException.class,
                () -> CastParser.inspect("[0, \"o\", \"x\"]\n\n[1, \"o\", \"y\"]", CastParser.forChunk(false)));
        assertTrue(blank.getMessage().contains("line 3: empty line"), blank.getMessage());
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
