package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Times;
import io.castvault.db.RecordingQueries.ListPosition;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.UUID;

/**
 * The opaque {@code cursor} of {@code list}: base64url of a version byte, {@code started_at} in epoch microseconds
 * (the column's precision, so the seek is exact) and the id of a page's last row. The version byte lets the
 * layout change without a client mistaking an old cursor for a new one.
 */
final class ListCursor {
    /** Characters of an encoded cursor (25 bytes, unpadded base64url). */
    static final int MAX_LENGTH = 34;
    private static final byte VERSION = 1;
    private static final int BYTES = 1 + Long.BYTES + 2 * Long.BYTES;

    private ListCursor() {
    }

    static String encode(ListPosition p) {
        ByteBuffer b = ByteBuffer.allocate(BYTES).put(VERSION).putLong(Times.epochMicros(p.startedAt()))
                .putLong(p.id().getMostSignificantBits()).putLong(p.id().getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    static ListPosition decode(String cursor) {
        if (cursor.length() != MAX_LENGTH) {
            throw invalid();
        }
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(cursor);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        if (raw.length != BYTES || b.get() != VERSION) {
            throw invalid();
        }
        long micros = b.getLong();
        UUID id = new UUID(b.getLong(), b.getLong());
        try {
            return new ListPosition(Times.ofEpochMicros(micros), id);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
    }

    private static CastvaultException invalid() {
        return new CastvaultException(ErrorCode.INVALID_INPUT, "cursor is not one this service issued");
    }
}
