package io.castvault.api.http;

/**
 * The largest JSON body a route reads, from the largest string it carries (a chunk, a transcript): that string
 * written in the worst case, every byte a six-byte {@code \\u00XX} escape (terminal output is full of control
 * characters that encoders write that way, and Go's encoder writes {@code <}, {@code >} and {@code &} so too),
 * plus the envelope around it (the other fields and the punctuation).
 */
final class JsonBodyLimit {
    static final long ENVELOPE_BYTES = 64 * 1024;

    private JsonBodyLimit() {
    }

    static long around(long largestStringBytes) {
        return 6 * largestStringBytes + ENVELOPE_BYTES;
    }
}
