package io.castvault.api.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** A request body that fails with {@link TooLarge} as soon as more than {@code limit} bytes have arrived. */
final class LimitedBody extends FilterInputStream {
    /** Thrown while reading, so the parser stops and the caller answers 413. */
    static final class TooLarge extends IOException {
        TooLarge(long limit) {
            super("the request body is larger than " + limit + " bytes");
        }
    }

    private final long limit;
    private long count;

    LimitedBody(InputStream in, long limit) {
        super(in);
        this.limit = limit;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, (int) Math.min(len, limit - count + 1));
        if (n > 0) {
            count(n);
        }
        return n;
    }

    private void count(long n) throws TooLarge {
        count += n;
        if (count > limit) {
            throw new TooLarge(limit);
        }
    }
}
