package io.castvault.agentingest;

import io.castvault.core.CastvaultException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.util.regex.Pattern;

/**
 * A forward-only JSON reader that can hand one string value over piece by piece. General-purpose parsers
 * materialise every string (and cap their length), which would put a whole transcript in memory; here the
 * transcript flows from the socket to the spool file while the rest of the body is read as usual.
 *
 * <p>Only what a request body needs: objects, strings, numbers, literals, and skipping anything else.
 * Every malformation is an {@code INVALID_INPUT}.
 */
final class JsonStream {
    /** Receives a string value in decoded pieces. */
    interface CharSink {
        void write(char[] chars, int offset, int length);
    }

    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final int MAX_DEPTH = 32;
    private static final int MAX_NUMBER_CHARS = 64;
    /**
     * Members the reader does not know are skipped, but still bounded: nothing a client sends is read without a
     * limit, whether it is kept or not.
     */
    static final int MAX_SKIPPED_NAME_CHARS = 256;
    static final long MAX_SKIPPED_STRING_CHARS = 64 * 1024;

    private final Reader in;
    private final char[] buf = new char[8192];
    private int pos;
    private int limit;
    /** Per open object: whether a member has been read (so the next one needs a comma). */
    private final boolean[] hasMember = new boolean[MAX_DEPTH];
    private int depth;

    JsonStream(Reader in) {
        this.in = in;
    }

    /** Whether the next value is {@code null}; consumes it if so. */
    boolean nextIsNull() {
        if (peekNonSpace() == 'n') {
            literal("null");
            return true;
        }
        return false;
    }

    void beginObject() {
        expect('{', "expected a JSON object");
        if (depth == MAX_DEPTH) {
            throw invalid("nested too deeply");
        }
        hasMember[depth++] = false;
    }

    /** The next member's name, or {@code null} at the end of the current object (which it consumes). */
    String nextName(int maxChars) {
        int c = peekNonSpace();
        if (c == '}') {
            pos++;
            depth--;
            return null;
        }
        if (hasMember[depth - 1]) {
            expect(',', "expected ',' or '}'");
            peekNonSpace();
        }
        hasMember[depth - 1] = true;
        String name = readString(maxChars, "member name");
        expect(':', "expected ':'");
        return name;
    }

    /** A string value of at most {@code maxChars} characters. */
    String readString(int maxChars, String what) {
        StringBuilder sb = new StringBuilder();
        readString((chars, off, len) -> {
            if (sb.length() + len > maxChars) {
                throw invalid(what + " is longer than " + maxChars + " characters");
            }
            sb.append(chars, off, len);
        }, what);
        return sb.toString();
    }

    /** Streams a string value's decoded characters to {@code sink}. */
    void readString(CharSink sink, String what) {
        if (peekNonSpace() != '"') {
            throw invalid(what + " must be a string");
        }
        pos++;
        char[] out = new char[4096];
        int n = 0;
        while (true) {
            if (n == out.length) {
                sink.write(out, 0, n);
                n = 0;
            }
            int c = read();
            if (c < 0) {
                throw invalid("unterminated string");
            }
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                c = escape();
            } else if (c < 0x20) {
                throw invalid("control character in a string (it must be escaped)");
            }
            out[n++] = (char) c;
        }
        if (n > 0) {
            sink.write(out, 0, n);
        }
    }

    /** A number; {@code what} names the field in the error. */
    double readNumber(String what) {
        StringBuilder sb = new StringBuilder();
        int c = peekNonSpace();
        while (c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || (c >= '0' && c <= '9')) {
            if (sb.length() == MAX_NUMBER_CHARS) {
                throw invalid(what + " is not a sensible number");
            }
            sb.append((char) c);
            pos++;
            c = peek();
        }
        if (!NUMBER.matcher(sb).matches()) {
            throw invalid(what + " must be a number");
        }
        return Double.parseDouble(sb.toString());
    }

    /** Skips one value of any kind; strings are skipped without being kept. */
    void skipValue() {
        int c = peekNonSpace();
        switch (c) {
            case '"' -> skipString();
            case '{' -> {
                beginObject();
                while (nextName(MAX_SKIPPED_NAME_CHARS) != null) {
                    skipValue();
                }
            }
            case '[' -> skipArray();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> readNumber("value");
        }
    }

    private void skipString() {
        long[] seen = {0};
        readString((chars, off, len) -> {
            seen[0] += len;
            if (seen[0] > MAX_SKIPPED_STRING_CHARS) {
                throw invalid("a string of an unknown member is longer than " + MAX_SKIPPED_STRING_CHARS + " characters");
            }
        }, "value");
    }

    /** Only whitespace may follow the top-level value. */
    void end() {
        if (peekNonSpace() >= 0) {
            throw invalid("unexpected content after the JSON object");
        }
    }

    private void skipArray() {
        pos++;
        if (depth == MAX_DEPTH) {
            throw invalid("nested too deeply");
        }
        depth++;
        if (peekNonSpace() == ']') {
            pos++;
            depth--;
            return;
        }
        while (true) {
            skipValue();
            int c = peekNonSpace();
            pos++;
            if (c == ']') {
                depth--;
                return;
            }
            if (c != ',') {
                throw invalid("expected ',' or ']'");
            }
        }
    }

    private int escape() {
        int c = read();
        return switch (c) {
            case '"', '\\', '/' -> c;
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'u' -> {
                int v = 0;
                for (int i = 0; i < 4; i++) {
                    int d = Character.digit(read(), 16);
                    if (d < 0) {
                        throw invalid("bad \\u escape");
                    }
                    v = v * 16 + d;
                }
                yield v;
            }
            default -> throw invalid("bad escape in a string");
        };
    }

    private void literal(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (read() != word.charAt(i)) {
                throw invalid("unexpected token");
            }
        }
    }

    private void expect(char c, String message) {
        if (peekNonSpace() != c) {
            throw invalid(message);
        }
        pos++;
    }

    private int peekNonSpace() {
        while (true) {
            int c = peek();
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                return c;
            }
        }
    }

    private int peek() {
        if (pos == limit && !fill()) {
            return -1;
        }
        return buf[pos];
    }

    private int read() {
        if (pos == limit && !fill()) {
            return -1;
        }
        return buf[pos++];
    }

    private boolean fill() {
        try {
            int n = in.read(buf, 0, buf.length);
            if (n <= 0) {
                return false;
            }
            pos = 0;
            limit = n;
            return true;
        } catch (CharacterCodingException e) {
            throw invalid("request body is not valid UTF-8");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static CastvaultException invalid(String why) {
        return CastvaultException.invalid("invalid JSON: " + why);
    }
}
