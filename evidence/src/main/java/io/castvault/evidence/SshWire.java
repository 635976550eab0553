package io.castvault.evidence;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The SSH wire encoding (RFC 4251 §5): uint32 and length-prefixed strings. */
final class SshWire {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    SshWire raw(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    SshWire uint32(int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    SshWire string(byte[] b) {
        uint32(b.length);
        out.writeBytes(b);
        return this;
    }

    SshWire string(String s) {
        return string(s.getBytes(StandardCharsets.UTF_8));
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** Reads what {@link SshWire} writes; any overrun or bad length is an {@link IllegalArgumentException}. */
    static final class Reader {
        private final byte[] data;
        private int pos;

        Reader(byte[] data) {
            this.data = data;
        }

        byte[] raw(int n) {
            if (n < 0 || n > data.length - pos) {
                throw new IllegalArgumentException("truncated SSH structure");
            }
            byte[] b = Arrays.copyOfRange(data, pos, pos + n);
            pos += n;
            return b;
        }

        int uint32() {
            byte[] b = raw(4);
            return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        }

        byte[] string() {
            return raw(uint32());
        }

        String text() {
            return new String(string(), StandardCharsets.UTF_8);
        }

        void requireEnd() {
            if (pos != data.length) {
                throw new IllegalArgumentException("trailing bytes in SSH structure");
            }
        }
    }
}
