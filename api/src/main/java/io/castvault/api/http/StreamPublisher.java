package io.castvault.api.http;

import io.micronaut.buffer.netty.NettyReadBufferFactory;
import io.micronaut.core.io.buffer.ReadBuffer;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The pieces of a {@link Download}, read from its blocking stream on their own virtual thread as demand comes
 * ({@link DownloadWriter} hands them to the server). Unlike a
 * {@code StreamedFile}, whose read failure after the status line left the connection open until the idle timeout,
 * a failure here is an {@code onError}, on which the server aborts the connection: the client sees a broken
 * transfer, never a short body that looks complete.
 */
final class StreamPublisher implements Publisher<ReadBuffer> {
    /**
     * Each piece is one hand-over to the event loop (a task and a wake-up) and one socket write: larger pieces cost
     * less per MiB (64 KiB → 256 KiB → 1 MiB, bench/README.md). Two of them let the next be read while one is
     * written; a download holds at most {@link #PIECES}.
     */
    private static final int CHUNK = 1024 * 1024;
    private static final int PIECES = 2;
    private static final NettyReadBufferFactory BUFFERS = NettyReadBufferFactory.of(UnpooledByteBufAllocator.DEFAULT);
    private final InputStream in;
    /**
     * The arrays of pieces Netty has written and released, reused for the next ones. Handed over as {@code byte[]},
     * each piece was copied into a buffer of Netty's adaptive allocator, which off the event loop kept allocating
     * and zeroing fresh native chunks (a third of the service's CPU per MiB, bench/README.md). Wrapped instead, a
     * fresh array per piece would be garbage made at the download's rate; reused, a download holds a few.
     */
    private final BlockingQueue<byte[]> pieces = new ArrayBlockingQueue<>(PIECES);
    private final AtomicBoolean subscribed = new AtomicBoolean();

    StreamPublisher(InputStream in) {
        this.in = in;
    }

    @Override
    public void subscribe(Subscriber<? super ReadBuffer> subscriber) {
        if (!subscribed.compareAndSet(false, true)) {
            subscriber.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            subscriber.onError(new IllegalStateException("a download body can be subscribed once"));
            return;
        }
        AtomicLong demand = new AtomicLong();
        AtomicBoolean cancelled = new AtomicBoolean();
        Thread reader = Thread.ofVirtual().name("cast-download").unstarted(() -> pump(subscriber, demand, cancelled));
        subscriber.onSubscribe(new Subscription() {
            @Override
            public void request(long n) {
                if (n <= 0) {
                    cancelled.set(true);
                    subscriber.onError(new IllegalArgumentException("non-positive demand"));
                    return;
                }
                demand.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
                LockSupport.unpark(reader);
            }

            @Override
            public void cancel() {
                cancelled.set(true);
                LockSupport.unpark(reader);
            }
        });
        reader.start();
    }

    private void pump(Subscriber<? super ReadBuffer> subscriber, AtomicLong demand, AtomicBoolean cancelled) {
        try (InputStream stream = in) {
            while (!cancelled.get()) {
                while (demand.get() == 0 && !cancelled.get()) {
                    LockSupport.park(this);
                }
                byte[] array = pieces.poll();
                byte[] piece = array != null ? array : new byte[CHUNK];
                int n = stream.readNBytes(piece, 0, CHUNK);
                if (cancelled.get()) {
                    return;
                }
                if (n > 0) {
                    demand.decrementAndGet();
                    subscriber.onNext(BUFFERS.adapt(new Piece(piece, n, pieces)));
                }
                if (n < CHUNK) {
                    subscriber.onComplete();
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!cancelled.get()) {
                subscriber.onError(new DownloadCut(e));
            }
        }
    }

    /**
     * What the server is told when the download's stream fails after the status line. The server can only abort
     * the connection and logs what it was handed; this says in one line why, instead of the store client's stack.
     */
    static final class DownloadCut extends RuntimeException {
        DownloadCut(Throwable why) {
            super("download cut short by its source: " + why.getClass().getSimpleName() + ": " + why.getMessage(),
                    null, false, false);
        }
    }

    /** A heap buffer over one piece whose array goes back to the download's pool when Netty releases it. */
    private static final class Piece extends UnpooledHeapByteBuf {
        private final BlockingQueue<byte[]> pool;

        Piece(byte[] array, int length, BlockingQueue<byte[]> pool) {
            super(UnpooledByteBufAllocator.DEFAULT, array, array.length);
            this.pool = pool;
            writerIndex(length);
        }

        @Override
        protected void freeArray(byte[] array) {
            pool.offer(array); // a full pool drops it to the garbage collector
        }
    }
}
