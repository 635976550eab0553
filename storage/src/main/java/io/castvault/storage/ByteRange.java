package io.castvault.storage;

/** An inclusive byte range of an object, already checked against its length. */
public record ByteRange(long first, long last) {
    public ByteRange {
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("bad range " + first + "-" + last);
        }
    }

    public long length() {
        return last - first + 1;
    }
}
