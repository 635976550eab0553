package io.castvault.api;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A large request body made up on the fly (prefix, {@code lines} copies of one line, suffix), so a test can send
 * tens of MiB without holding them: what the server does with its memory is then all the heap shows.
 */
final class GeneratedBody extends InputStream {
    private final byte[][] parts;
    private final long lines;
    private int part;
    private long repeat;
    private int offset;

    GeneratedBody(String prefix, String line, long lines, String suffix) {
        this.parts = new byte[][] {prefix.getBytes(StandardCharsets.UTF_8), line.getBytes(StandardCharsets.UTF_8),
                suffix.getBytes(StandardCharsets.UTF_8)};
        this.lines = lines;
    }

    /** A JSON-escaped event line (inside the report's transcript string) of about {@code bytes} decoded bytes. */
    static String escapedEventLine(int bytes) {
        StringBuilder data = new StringBuilder();
        while (data.length() < bytes - 40) {
            data.append("\\\\u001b[1mcastvault ");
        }
        return "[0.125, \\\"o\\\", \\\"" + data + "\\\"]\\n";
    }

    /** The same line as it appears in a file, unescaped once. */
    static String eventLine(int bytes) {
        StringBuilder data = new StringBuilder();
        while (data.length() < bytes - 40) {
            data.append("\\u001b[1mcastvault ");
        }
        return "[0.125, \"o\", \"" + data + "\"]\n";
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        while (part < 3) {
            byte[] p = parts[part];
            if (offset < p.length) {
                int n = Math.min(len, p.length - offset);
                System.arraycopy(p, offset, b, off, n);
                offset += n;
                return n;
            }
            offset = 0;
            if (part == 1 && ++repeat < lines) {
                continue;
            }
            part++;
        }
        return -1;
    }
}
