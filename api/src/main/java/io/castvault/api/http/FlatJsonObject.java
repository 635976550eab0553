package io.castvault.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The common request body, one JSON object whose values are strings, numbers, booleans or null, read straight from
 * its UTF-8 bytes. A chunk is stored as bytes: through Jackson its {@code chunk_data} was scanned, decoded to
 * characters, copied into a string and encoded back (about 150 µs per 64 KiB chunk, bench/README.md); here its runs
 * between escapes are found eight bytes at a time and copied once into the bytes that are hashed and stored.
 *
 * <p>This reader decides nothing Jackson would decide otherwise: whatever is not plainly such an object (a nested
 * value, a duplicate name, a raw control character, a bad escape or number, anything after the object) makes it
 * return null, and the caller hands the body to Jackson, which accepts it or names what is wrong; so does an
 * unpaired surrogate escape, which has no UTF-8 (Jackson reads it into a Java string). The body has passed
 * {@link StrictUtf8}, so every byte above 0x7F is part of valid UTF-8.
 */
final class FlatJsonObject {
    /** The object's fields, the bulk ones apart as the UTF-8 bytes their strings stand for. */
    record Fields(ObjectNode values, Map<String, byte[]> bulk) {
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long LOW_BITS = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long QUOTES = '"' * LOW_BITS;
    private static final long BACKSLASHES = '\\' * LOW_BITS;
    private static final long SPACES = ' ' * LOW_BITS;
    private static final int MAX_NUMBER_BYTES = 64;
    /** Names and plain strings beyond these go to Jackson, whose own limits (50,000 and 20 M characters) apply. */
    private static final int MAX_NAME_BYTES = 1024;
    private static final int MAX_PLAIN_STRING_BYTES = 1 << 20;

    private final byte[] json;
    private final ObjectMapper numbers;
    private int pos;
    /**
     * Where strings with escapes are decoded, one after the other: one array per body, not one per string, since
     * a string's decoded bytes are bounded only by the body (a body of many short escaped strings would otherwise
     * allocate the rest of the body for each of them).
     */
    private byte[] scratch;

    private FlatJsonObject(byte[] json, ObjectMapper numbers) {
        this.json = json;
        this.numbers = numbers;
    }

    /**
     * The fields of {@code json}, or null when Jackson has to read it.
     *
     * @param bulk    names whose string values are kept as bytes
     * @param numbers reads a number's text into the node Jackson's tree would hold
     */
    static Fields read(byte[] json, Set<String> bulk, ObjectMapper numbers) {
        return new FlatJsonObject(json, numbers).object(bulk);
    }

    private Fields object(Set<String> bulkNames) {
        ObjectNode values = JsonNodeFactory.instance.objectNode();
        Map<String, byte[]> bulk = new HashMap<>(2);
        skipSpace();
        if (!take('{')) {
            return null;
        }
        skipSpace();
        if (!take('}')) {
            do {
                skipSpace();
                byte[] nameBytes = take('"') ? string() : null;
                if (nameBytes == null || nameBytes.length > MAX_NAME_BYTES) {
                    return null;
                }
                String name = new String(nameBytes, StandardCharsets.UTF_8);
                skipSpace();
                if (!take(':')) {
                    return null;
                }
                skipSpace();
                if (values.has(name) || bulk.containsKey(name)) {
                    return null; // a duplicate: Jackson's to refuse
                }
                if (bulkNames.contains(name) && take('"')) {
                    byte[] bytes = string();
                    if (bytes == null) {
                        return null;
                    }
                    bulk.put(name, bytes);
                } else {
                    JsonNode value = scalar();
                    if (value == null) {
                        return null;
                    }
                    values.set(name, value);
                }
                skipSpace();
            } while (take(','));
            if (!take('}')) {
                return null;
            }
        }
        skipSpace();
        return pos == json.length ? new Fields(values, bulk) : null;
    }

    /** A string, number, boolean or null; null for anything else (an object or array goes to Jackson). */
    private JsonNode scalar() {
        if (pos >= json.length) {
            return null;
        }
        byte b = json[pos];
        if (b == '"') {
            pos++;
            byte[] bytes = string();
            return bytes == null || bytes.length > MAX_PLAIN_STRING_BYTES ? null
                    : TextNode.valueOf(new String(bytes, StandardCharsets.UTF_8));
        }
        if (b == 't') {
            return literal("true") ? BooleanNode.TRUE : null;
        }
        if (b == 'f') {
            return literal("false") ? BooleanNode.FALSE : null;
        }
        if (b == 'n') {
            return literal("null") ? JsonNodeFactory.instance.nullNode() : null;
        }
        return number();
    }

    private boolean literal(String word) {
        int end = pos + word.length();
        if (end > json.length) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if (json[pos + k] != word.charAt(k)) {
                return false;
            }
        }
        pos = end;
        return end == json.length || delimiter(json[end]);
    }

    /** RFC 8259's number, handed to Jackson for the node it makes of it (int, long, big integer or double). */
    private JsonNode number() {
        int start = pos;
        boolean negative = take('-');
        if (take('0')) {
            // no leading zeros
        } else if (!digits()) {
            return null;
        }
        int integerEnd = pos;
        if (take('.') && !digits()) {
            return null;
        }
        if (take('e') || take('E')) {
            if (!take('+')) {
                take('-');
            }
            if (!digits()) {
                return null;
            }
        }
        if (pos - start > MAX_NUMBER_BYTES || (pos < json.length && !delimiter(json[pos]))) {
            return null;
        }
        int digits = integerEnd - start - (negative ? 1 : 0);
        if (pos == integerEnd && digits <= 9) {
            // what Jackson makes of an integer that fits an int, without a parser per number
            int value = 0;
            for (int k = integerEnd - digits; k < integerEnd; k++) {
                value = value * 10 + (json[k] - '0');
            }
            return IntNode.valueOf(negative ? -value : value);
        }
        try {
            return numbers.readTree(json, start, pos - start);
        } catch (IOException e) {
            return null;
        }
    }

    private boolean digits() {
        int start = pos;
        while (pos < json.length && json[pos] >= '0' && json[pos] <= '9') {
            pos++;
        }
        return pos > start;
    }

    private static boolean delimiter(byte b) {
        return b == ',' || b == '}' || b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    /**
     * The UTF-8 bytes of the string whose opening quote was just taken; null on a raw control character, a bad
     * escape, a missing closing quote, or an unpaired surrogate escape (UTF-8 has no form for it; Jackson reads it
     * into a Java string, and {@link ActionRequest#optionalUtf8} refuses it when it is asked for).
     */
    private byte[] string() {
        byte[] out = null;
        int n = 0;
        while (true) {
            int special = nextSpecial(pos);
            if (special < 0 || json[special] < ' ') {
                return null;
            }
            if (json[special] == '"' && out == null) {
                // no escape at all: one copy
                byte[] plain = Arrays.copyOfRange(json, pos, special);
                pos = special + 1;
                return plain;
            }
            if (out == null) {
                // an escape never decodes to more bytes than it takes, so the body's length bounds the result
                if (scratch == null) {
                    scratch = new byte[json.length];
                }
                out = scratch;
            }
            System.arraycopy(json, pos, out, n, special - pos);
            n += special - pos;
            pos = special + 1;
            if (json[special] == '"') {
                return Arrays.copyOf(out, n);
            }
            if (pos >= json.length) {
                return null;
            }
            byte escape = json[pos++];
            switch (escape) {
                case '"', '\\', '/' -> out[n++] = escape;
                case 'b' -> out[n++] = '\b';
                case 'f' -> out[n++] = '\f';
                case 'n' -> out[n++] = '\n';
                case 'r' -> out[n++] = '\r';
                case 't' -> out[n++] = '\t';
                case 'u' -> {
                    int codePoint = unicodeEscape();
                    if (codePoint < 0) {
                        return null;
                    }
                    n = utf8(codePoint, out, n);
                }
                default -> {
                    return null;
                }
            }
        }
    }

    /** The code point of the {@code \}{@code u} escape after {@code pos} (with its low half's); -1: bad or unpaired. */
    private int unicodeEscape() {
        int unit = hex4(pos);
        if (unit < 0) {
            return -1;
        }
        pos += 4;
        if (Character.isHighSurrogate((char) unit)) {
            int low = pos + 6 <= json.length && json[pos] == '\\' && json[pos + 1] == 'u' ? hex4(pos + 2) : -1;
            if (low >= 0 && Character.isLowSurrogate((char) low)) {
                pos += 6;
                return Character.toCodePoint((char) unit, (char) low);
            }
        } else if (!Character.isLowSurrogate((char) unit)) {
            return unit;
        }
        return -1;
    }

    /** Index of the next quote, backslash or control character at or after {@code from}; -1 if none. */
    private int nextSpecial(int from) {
        int i = from;
        for (; i + Long.BYTES <= json.length; i += Long.BYTES) {
            long word = (long) LONGS.get(json, i);
            // the lowest byte each test flags is exact (borrows spoil only the bytes above it); a byte of 0x80 or
            // more is never flagged, so UTF-8 sequences pass as they are
            long hits = zeroBytes(word ^ QUOTES) | zeroBytes(word ^ BACKSLASHES)
                    | ((word - SPACES) & ~word & HIGH_BITS);
            if (hits != 0) {
                return i + (Long.numberOfTrailingZeros(hits) >>> 3);
            }
        }
        for (; i < json.length; i++) {
            byte b = json[i];
            if (b == '"' || b == '\\' || (b >= 0 && b < ' ')) {
                return i;
            }
        }
        return -1;
    }

    private static long zeroBytes(long word) {
        return (word - LOW_BITS) & ~word & HIGH_BITS;
    }

    private int hex4(int at) {
        if (at + 4 > json.length) {
            return -1;
        }
        int value = 0;
        for (int k = at; k < at + 4; k++) {
            int digit = Character.digit(json[k], 16);
            if (digit < 0) {
                return -1;
            }
            value = value << 4 | digit;
        }
        return value;
    }

    private static int utf8(int codePoint, byte[] out, int n) {
        if (codePoint < 0x80) {
            out[n++] = (byte) codePoint;
        } else if (codePoint < 0x800) {
            out[n++] = (byte) (0xC0 | codePoint >> 6);
            out[n++] = (byte) (0x80 | codePoint & 0x3F);
        } else if (codePoint < 0x10000) {
            out[n++] = (byte) (0xE0 | codePoint >> 12);
            out[n++] = (byte) (0x80 | codePoint >> 6 & 0x3F);
            out[n++] = (byte) (0x80 | codePoint & 0x3F);
        } else {
            out[n++] = (byte) (0xF0 | codePoint >> 18);
            out[n++] = (byte) (0x80 | codePoint >> 12 & 0x3F);
            out[n++] = (byte) (0x80 | codePoint >> 6 & 0x3F);
            out[n++] = (byte) (0x80 | codePoint & 0x3F);
        }
        return n;
    }

    private void skipSpace() {
        while (pos < json.length && (json[pos] == ' ' || json[pos] == '\t' || json[pos] == '\n' || json[pos] == '\r')) {
            pos++;
        }
    }

    private boolean take(char c) {
        if (pos < json.length && json[pos] == c) {
            pos++;
            return true;
        }
        return false;
    }
}
