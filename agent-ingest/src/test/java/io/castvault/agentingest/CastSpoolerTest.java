package io.castvault.agentingest;

import io.castvault.core.CastHeader;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CastSpoolerTest {
    @TempDir
    Path dir;

    CastSpooler.Spooled spool(String text, boolean headerRequired, long max) {
        try (CastSpooler s = new CastSpooler(dir, max, headerRequired)) {
            s.copyFrom(new StringReader(text));
            CastSpooler.Spooled result = s.finish();
            // read before close deletes it
            byte[] bytes = Files.readAllBytes(result.file());
            assertEquals(bytes.length, result.byteLength());
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(bytes), result.sha256());
            lastFile = new String(bytes, StandardCharsets.UTF_8);
            return result;
        } catch (Exception e) {
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e);
        }
    }

    String lastFile;

    @Test
    void bareEventLinesGetTheDefaultHeader() {
        CastSpooler.Spooled s = spool("[0, \"o\", \"$ uname\\n\"]\r\n[0.5, \"o\", \"Linux\\n\"]", false, 1 << 20);
        assertEquals(CastHeader.DEFAULT.line() + "\n[0, \"o\", \"$ uname\\n\"]\n[0.5, \"o\", \"Linux\\n\"]\n", lastFile);
        assertEquals(2, s.summary().eventCount());
        assertEquals(0, new BigDecimal("0.5").compareTo(s.summary().lastTime()));
        assertEquals(CastHeader.DEFAULT, s.summary().header().orElseThrow());
    }

    @Test
    void aV3FileBecomesV2WithAbsoluteTimes() {
        spool("\uFEFF{\"version\": 3, \"term\": {\"cols\": 100, \"rows\": 50}}\n[1.5, \"o\", \"a\"]\n# note\n[0.25, \"o\", \"b\"]\n",
                true, 1 << 20);
        String[] lines = lastFile.split("\n");
        assertTrue(lines[0].contains("\"version\":2") && lines[0].contains("\"width\":100"), lines[0]);
        assertEquals("[1.5, \"o\", \"a\"]", lines[1]);
        assertEquals("[1.75, \"o\", \"b\"]", lines[2]);
        assertEquals(3, lines.length);
    }

    @Test
    void filesNeedAHeaderTranscriptsNeedEvents() {
        assertInvalid(() -> spool("[1, \"o\", \"a\"]\n", true, 1 << 20));
        assertInvalid(() -> spool("", false, 1 << 20));
        assertInvalid(() -> spool("\n", false, 1 << 20));
        assertInvalid(() -> spool("[1, \"o\", \"a\"]\nnot json\n", false, 1 << 20));
        // a header-only file is an empty but valid recording
        assertEquals(0, spool("{\"version\": 2, \"width\": 80, \"height\": 24}\n", true, 1 << 20).summary().eventCount());
    }

    @Test
    void theCapAndTheLineLimitHold() {
        String line = "[1, \"o\", \"" + "x".repeat(100) + "\"]\n";
        CastvaultException e = assertThrows(CastvaultException.class, () -> spool(line.repeat(20), false, 1024));
        assertEquals(ErrorCode.PAYLOAD_TOO_LARGE, e.code());
        // blank lines count too, although they are not stored
        assertEquals(ErrorCode.PAYLOAD_TOO_LARGE,
                assertThrows(CastvaultException.class, () -> spool("\n".repeat(2048), false, 1024)).code());
        String huge = "[1, \"o\", \"" + "y".repeat(CastSpooler.MAX_LINE_CHARS) + "\"]";
        assertInvalid(() -> spool(huge, false, 8L << 20));
    }

    @Test
    void malformedUtf8IsInvalidInput() {
        try (CastSpooler s = new CastSpooler(dir, 1 << 20, true)) {
            Reader r = CastSpooler.utf8(new ByteArrayInputStream(new byte[] {'{', (byte) 0xc3, (byte) 0x28}));
            assertInvalid(() -> s.copyFrom(r));
        }
    }

    @Test
    void closingRemovesTheSpoolFile() throws Exception {
        Path file;
        try (CastSpooler s = new CastSpooler(dir, 1 << 20, false)) {
            s.copyFrom(new StringReader("[1, \"o\", \"a\"]"));
            file = s.finish().file();
            assertTrue(Files.exists(file));
        }
        assertFalse(Files.exists(file));
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count());
        }
    }

    static void assertInvalid(org.junit.jupiter.api.function.Executable call) {
        assertEquals(ErrorCode.INVALID_INPUT, assertThrows(CastvaultException.class, call).code());
    }
}
