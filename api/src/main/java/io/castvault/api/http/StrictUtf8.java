package io.castvault.api.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.MalformedInputException;

/**
 * A request body checked as it is read, for Jackson's byte parser. That parser lets overlong forms such as
 * {@code C0 AF} ("/") through and guesses UTF-16 or UTF-32 from zero bytes; the JDK's strict decoder in front of a
 * character parser cost a tenth of the service's CPU per 64 KiB chunk (bench/README.md). So the bytes are checked
 * here as they pass, eight at a time while they are ASCII, by the JDK decoder's rules: the shortest form only, no
 * surrogates, nothing above U+10FFFF; a sequence may be split across reads. A NUL byte and a leading byte order
 * mark are refused too: JSON has neither, and Jackson would read zero bytes as another encoding and skip a BOM.
 */
final class StrictUtf8 extends FilterInputStream {
    /** Not UTF-8. */
    static final class Malformed extends MalformedInputException {
        Malformed() {
            super(1);
        }
    }

    /** UTF-8, but not JSON text. */
    static final class NotJson extends IOException {
        NotJson(String why) {
            super(why);
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LOW_BITS = 0x0101010101010101L;
    private static final int[] BOM = {0xEF, 0xBB, 0xBF};

    /** Continuation bytes still owed by the sequence under way, and the range its next byte must be in. */
    private int owed;
    private int low = 0x80;
    private int high = 0xBF;
    /** How many of the body's first bytes matched the BOM; -1 once one did not. */
    private int bomPrefix;

    StrictUtf8(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
            if (owed > 0) {
                throw new Malformed(); // the body ends inside a sequence
            }
            return n;
        }
        check(b, off, off + n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        throw new IOException("a checked body is read, not skipped");
    }

    private void check(byte[] b, int from, int to) throws IOException {
        for (int i = from; i < to && bomPrefix >= 0; i++) {
            if ((b[i] & 0xff) != BOM[bomPrefix]) {
                bomPrefix = -1;
            } else if (++bomPrefix == BOM.length) {
                throw new NotJson("a byte order mark");
            }
        }
        int i = from;
        while (i < to) {
            if (owed == 0 && i + 8 <= to) {
                long word = (long) LONGS.get(b, i);
                // eight ASCII bytes, none of them zero (the "has a zero byte" test holds for ASCII words)
                if ((word & HIGH_BITS) == 0 && ((word - LOW_BITS) & ~word & HIGH_BITS) == 0) {
                    i += 8;
                    continue;
                }
            }
            int c = b[i++] & 0xff;
            if (owed > 0) {
                if (c < low || c > high) {
                    throw new Malformed();
                }
                owed--;
                low = 0x80;
                high = 0xBF;
            } else if (c < 0x80) {
                if (c == 0) {
                    throw new NotJson("a NUL byte");
                }
            } else if (c < 0xC2) {
                throw new Malformed(); // a continuation byte without a lead, or an overlong two-byte form
            } else if (c < 0xE0) {
                owed = 1;
            } else if (c < 0xF0) {
                owed = 2;
                if (c == 0xE0) {
                    low = 0xA0; // shorter forms are overlong
                } else if (c == 0xED) {
                    high = 0x9F; // above are UTF-16 surrogates
                }
            } else if (c < 0xF5) {
                owed = 3;
                if (c == 0xF0) {
                    low = 0x90; // overlong
                } else if (c == 0xF4) {
                    high = 0x8F; // above U+10FFFF
                }
            } else {
                throw new Malformed();
            }
        }
    }
}
