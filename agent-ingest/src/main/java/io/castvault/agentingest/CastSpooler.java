package io.castvault.agentingest;

import io.castvault.core.Hashing;

import io.castvault.core.CastHeader;
import io.castvault.core.CastParser;
import io.castvault.core.CastSummary;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Validates asciicast text as it arrives and writes it, as the asciicast v2 file the cast download will serve,
 * to a temporary file, hashing and counting on the way. Memory stays at one line whatever the transcript's size.
 * Closing deletes the file.
 */
final class CastSpooler implements JsonStream.CharSink, AutoCloseable {
    /** One event's line; terminal output arrives in reads of a few KiB, so this only stops abuse. */
    static final int MAX_LINE_CHARS = 1024 * 1024;

    /** The spooled file: exactly the bytes to store, with their SHA-256 and what validation learnt. */
    record Spooled(Path file, long byteLength, byte[] sha256, CastSummary summary) {
    }

    private final Path file;
    private final OutputStream out;
    private final MessageDigest digest;
    private final long maxBytes;
    private final boolean headerRequired;
    private final StringBuilder line = new StringBuilder();
    private CastParser parser;
    private boolean defaultHeader;
    private long received;
    private long written;

    /**
     * @param headerRequired a whole asciicast file (v2 or v3) must start with its header; an agent's transcript
     *                       may be bare v2 event lines, which then get the default header
     */
    CastSpooler(Path directory, long maxBytes, boolean headerRequired) {
        this.maxBytes = maxBytes;
        this.headerRequired = headerRequired;
        this.digest = Hashing.sha256();
        try {
            this.file = Files.createTempFile(directory, "castvault-ingest-", ".cast");
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
        } catch (IOException e) {
            throw spoolFailed(e);
        }
    }

    /** UTF-8 text from {@code in}; malformed bytes surface as {@link CharacterCodingException}. */
    static Reader utf8(InputStream in) {
        return new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
    }

    /** Spools a whole file read from {@code in}; a failure to read it is an {@link UncheckedIOException}. */
    void copyFrom(Reader in) {
        char[] buf = new char[8192];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                write(buf, 0, n);
            }
        } catch (CharacterCodingException e) {
            throw CastvaultException.invalid("the asciicast is not valid UTF-8");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void write(char[] chars, int offset, int length) {
        received += length;
        if (received > maxBytes) {
            throw tooLarge();
        }
        int end = offset + length;
        int start = offset;
        for (int i = offset; i < end; i++) {
            if (chars[i] == '\n') {
                append(chars, start, i - start);
                endLine();
                start = i + 1;
            }
        }
        append(chars, start, end - start);
    }

    /** Validates the end of the text and flushes the file; nothing may be written afterwards. */
    Spooled finish() {
        if (!line.isEmpty()) {
            endLine();
        }
        if (parser == null) {
            throw CastvaultException.invalid("the transcript is empty");
        }
        CastSummary summary = parser.finish();
        if (defaultHeader) {
            if (summary.eventCount() == 0) {
                throw CastvaultException.invalid("the transcript holds no asciicast events");
            }
            summary = new CastSummary(Optional.of(CastHeader.DEFAULT), summary.eventCount(), summary.lastTime());
        }
        try {
            out.close();
        } catch (IOException e) {
            throw spoolFailed(e);
        }
        return new Spooled(file, written, digest.digest(), summary);
    }

    private void append(char[] chars, int offset, int length) {
        if (line.length() + length > MAX_LINE_CHARS) {
            throw CastvaultException.invalid("an asciicast line is longer than " + MAX_LINE_CHARS + " characters");
        }
        line.append(chars, offset, length);
    }

    private void endLine() {
        String text = line.toString();
        line.setLength(0);
        if (parser == null) {
            if (text.startsWith("\uFEFF")) {
                text = text.substring(1);
            }
            if (headerRequired || text.stripLeading().startsWith("{")) {
                parser = CastParser.forFile();
            } else {
                // bare event lines: chunk-0 rules, under the default header the download would use anyway
                parser = CastParser.forChunk(true);
                defaultHeader = true;
                emit(CastHeader.DEFAULT.line());
            }
        }
        String accepted = parser.accept(text);
        if (accepted != null) {
            emit(accepted);
        }
    }

    private void emit(String accepted) {
        byte[] bytes = (accepted + "\n").getBytes(StandardCharsets.UTF_8);
        written += bytes.length;
        if (written > maxBytes) {
            throw tooLarge();
        }
        digest.update(bytes);
        try {
            out.write(bytes);
        } catch (IOException e) {
            throw spoolFailed(e);
        }
    }

    /** The local disk failed us, not the client: a retry may work. */
    private static CastvaultException spoolFailed(IOException e) {
        return new CastvaultException(ErrorCode.SPOOL_UNAVAILABLE,
                "this instance cannot spool the transcript to its local disk; try again", e);
    }

    private CastvaultException tooLarge() {
        return new CastvaultException(ErrorCode.PAYLOAD_TOO_LARGE,
                "the transcript is larger than the limit of " + maxBytes + " bytes");
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // the file goes anyway
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temporary file; the OS cleans its temp directory
        }
    }
}
