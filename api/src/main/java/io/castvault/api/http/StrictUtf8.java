package io.castvault.api.http;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Checks a request body before Jackson's byte parser sees it. That parser lets overlong forms such as
 * {@code C0 AF} ("/") through, and guesses UTF-16 or UTF-32 from zero bytes; the JDK's strict decoder in front
 * of a character parser cost a tenth of the service's CPU per 64 KiB chunk (bench/README.md). So the bytes are
 * checked here once, eight at a time while they are ASCII, as the JDK's decoder checks them: the shortest form
 * only, no surrogates, nothing above U+10FFFF.
 */
final class StrictUtf8 {
    /** What a body holds that JSON in UTF-8 cannot. */
    enum Flaw { NONE, MALFORMED, NUL }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LOW_BITS = 0x0101010101010101L;

    private StrictUtf8() {
    }

    /** MALFORMED when any sequence is; otherwise NUL when any byte is zero. */
    static Flaw check(byte[] b, int length) {
        boolean nul = false;
        int i = 0;
        while (i < length) {
            if (i + 8 <= length) {
                long word = (long) LONGS.get(b, i);
                // all eight ASCII and none of them zero (the classic "has a zero byte" test)
                if ((word & HIGH_BITS) == 0 && ((word - LOW_BITS) & ~word & HIGH_BITS) == 0) {
                    i += 8;
                    continue;
                }
            }
            int c = b[i] & 0xff;
            if (c < 0x80) {
                nul |= c == 0;
                i++;
            } else if (c < 0xC2) {
                return Flaw.MALFORMED; // a continuation byte without a lead, or an overlong two-byte form
            } else if (c < 0xE0) {
                if (!continuation(b, length, i + 1)) {
                    return Flaw.MALFORMED;
                }
                i += 2;
            } else if (c < 0xF0) {
                if (!continuation(b, length, i + 1) || !continuation(b, length, i + 2)) {
                    return Flaw.MALFORMED;
                }
                int c1 = b[i + 1] & 0xff;
                if (c == 0xE0 && c1 < 0xA0 || c == 0xED && c1 >= 0xA0) {
                    return Flaw.MALFORMED; // overlong, or a UTF-16 surrogate
                }
                i += 3;
            } else if (c < 0xF5) {
                if (!continuation(b, length, i + 1) || !continuation(b, length, i + 2) || !continuation(b, length, i + 3)) {
                    return Flaw.MALFORMED;
                }
                int c1 = b[i + 1] & 0xff;
                if (c == 0xF0 && c1 < 0x90 || c == 0xF4 && c1 >= 0x90) {
                    return Flaw.MALFORMED; // overlong, or above U+10FFFF
                }
                i += 4;
            } else {
                return Flaw.MALFORMED;
            }
        }
        return nul ? Flaw.NUL : Flaw.NONE;
    }

    private static boolean continuation(byte[] b, int length, int at) {
        return at < length && (b[at] & 0xC0) == 0x80;
    }
}
