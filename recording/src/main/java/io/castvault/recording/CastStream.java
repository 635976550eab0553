package io.castvault.recording;

import io.castvault.core.Hashing;

import io.castvault.core.CastHeader;
import io.castvault.core.model.Chunk;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ObjectKey;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The recording as one asciicast v2 file, assembled while it is read: the header (chunk 0's own, or the default),
 * then each chunk's bytes in index order, each ending with a newline. The same bytes are hashed for
 * {@code recording_sha256}.
 *
 * <p>A GET per chunk, one after another, left the stream waiting on a round trip per chunk; so the next
 * {@value #READ_AHEAD} chunks are fetched in parallel while the current one is sent. Only chunks of at most
 * {@value #READ_AHEAD_MAX_BYTES} bytes are fetched whole ahead of time (larger ones are streamed when their turn
 * comes), so one download holds at most {@code READ_AHEAD + 1} such chunks and memory stays flat whatever the
 * recording's size. A chunk fetched ahead is also verified where it was fetched, so the seal's two SHA-256 passes
 * (each chunk's, then the whole file's) run on both cores rather than one after the other on one.
 */
final class CastStream extends InputStream {
    static final int READ_AHEAD = 4;
    static final int READ_AHEAD_MAX_BYTES = 1 << 20;
    private static final ExecutorService FETCHERS = Executors.newVirtualThreadPerTaskExecutor();

    private final BlobStore blobs;
    private final UUID orgId;
    private final UUID recordingId;
    private final List<Chunk> chunks;
    private final boolean verify;

    private int next;
    private int scheduled;
    /** Fetches of chunks {@code next .. scheduled - 1}, in order. */
    private final ArrayDeque<Fetch> ahead = new ArrayDeque<>();
    private InputStream current;
    private Chunk currentChunk;
    private MessageDigest currentDigest;
    private long currentLength;
    private int lastByte = '\n';
    private boolean pendingNewline;

    /**
     * @param verify check every chunk against its recorded SHA-256 and length (before vouching for the
     *               recording's hash); a mismatch fails the read
     */
    CastStream(BlobStore blobs, UUID orgId, UUID recordingId, List<Chunk> chunks, boolean verify) {
        this.blobs = blobs;
        this.orgId = orgId;
        this.recordingId = recordingId;
        this.chunks = chunks;
        this.verify = verify;
        boolean ownHeader = !chunks.isEmpty() && chunks.get(0).hasHeader();
        this.current = ownHeader ? InputStream.nullInputStream() : new ByteArrayInputStream(CastHeader.DEFAULT.bytesWithNewline());
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (pendingNewline) {
                pendingNewline = false;
                buf[off] = '\n';
                return 1;
            }
            if (current == null) {
                return -1;
            }
            int n = current.read(buf, off, len);
            if (n > 0) {
                if (currentDigest != null) {
                    currentDigest.update(buf, off, n);
                }
                currentLength += n;
                lastByte = buf[off + n - 1];
                return n;
            }
            finishCurrent();
            openNext();
        }
    }

    private void finishCurrent() throws IOException {
        current.close();
        if (currentChunk != null) {
            if (currentDigest != null && (currentLength != currentChunk.byteLength()
                    || !Arrays.equals(currentDigest.digest(), currentChunk.sha256()))) {
                throw new ChunkIntegrityException(currentChunk.index());
            }
            if (lastByte != '\n') {
                pendingNewline = true;
            }
        }
        current = null;
        currentChunk = null;
    }

    private void openNext() throws IOException {
        if (next >= chunks.size()) {
            return;
        }
        scheduleAhead();
        currentChunk = chunks.get(next++);
        currentLength = 0;
        Fetch fetch = ahead.poll();
        // a chunk fetched whole was checked by its fetcher; one streamed now is checked as it passes
        currentDigest = verify && fetch.whole() == null ? Hashing.sha256() : null;
        lastByte = '\n';
        current = fetch.open(blobs);
    }

    private void scheduleAhead() {
        while (scheduled < chunks.size() && scheduled <= next + READ_AHEAD) {
            Chunk chunk = chunks.get(scheduled++);
            ObjectKey key = ObjectKey.chunk(orgId, recordingId, chunk.index());
            ahead.add(new Fetch(key, chunk.byteLength() <= READ_AHEAD_MAX_BYTES
                    ? CompletableFuture.supplyAsync(() -> readWhole(key, chunk), FETCHERS) : null));
        }
    }

    private byte[] readWhole(ObjectKey key, Chunk chunk) {
        byte[] bytes;
        try (InputStream in = blobs.get(key)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (verify && (bytes.length != chunk.byteLength()
                || !Arrays.equals(Hashing.sha256().digest(bytes), chunk.sha256()))) {
            throw new UncheckedIOException(new ChunkIntegrityException(chunk.index()));
        }
        return bytes;
    }

    /** One chunk's bytes: fetched ahead ({@code whole} set), or to be streamed when opened. */
    private record Fetch(ObjectKey key, CompletableFuture<byte[]> whole) {
        InputStream open(BlobStore blobs) throws IOException {
            if (whole == null) {
                return blobs.get(key);
            }
            try {
                return new ByteArrayInputStream(whole.join());
            } catch (CompletionException e) {
                if (e.getCause() instanceof UncheckedIOException io) {
                    throw io.getCause();
                }
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw e;
            }
        }
    }

    @Override
    public void close() throws IOException {
        ahead.forEach(f -> {
            if (f.whole() != null) {
                f.whole().cancel(false);
            }
        });
        ahead.clear();
        if (current != null) {
            current.close();
            current = null;
        }
    }

    /** A stored chunk no longer matches what was acknowledged. */
    static final class ChunkIntegrityException extends IOException {
        final int index;

        ChunkIntegrityException(int index) {
            super("stored chunk " + index + " does not match its recorded SHA-256");
            this.index = index;
        }
    }
}
