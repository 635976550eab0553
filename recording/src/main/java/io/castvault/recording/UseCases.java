package io.castvault.recording;

import io.castvault.db.Database;
import io.castvault.storage.BlobStore;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/** The recording use cases wired over one database and one store; the api module and tests build them here. */
public record UseCases(Recordings recordings, ChunkUploads uploads, Sealing sealing, CastDownloads downloads,
                       Deletion deletion, RetentionService retention) {
    /** A sealed recording's chunk objects are deleted on a virtual thread of their own, after the seal answered. */
    private static final Executor CHUNK_CLEANUP = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("chunk-cleanup-", 0).factory());

    /**
     * @param lease how old a chunk claim, seal token or deletion lease must be before it counts as abandoned by
     *              its writer; well above the object store's call timeout, so no live writer is ever overtaken
     */
    public record Settings(long maxChunkBytes, int maxInflightUploads, Duration lease, Duration abandonAfter,
                           Duration orphanGrace, int orphanKeysPerRun, Path spoolDirectory) {

        public static Settings defaults(Duration storeCallTimeout) {
            return new Settings(1 << 20, 16, leaseFor(storeCallTimeout), Duration.ofHours(24), Duration.ofHours(24),
                    10_000, Path.of(System.getProperty("java.io.tmpdir")));
        }

        /** Ten call timeouts and a minute: no writer is still inside a store call by then. */
        public static Duration leaseFor(Duration storeCallTimeout) {
            return storeCallTimeout.multipliedBy(10).plusSeconds(60);
        }
    }

    public static UseCases wire(Database db, BlobStore blobs, Settings s) {
        return wire(db, blobs, s, SealListener.NONE);
    }

    /** One store for everything (tests, tools): recordings written before their row go there too. */
    public static UseCases wire(Database db, BlobStore blobs, Settings s, SealListener sealed) {
        return wire(db, blobs, StorePlacement.only(blobs), s, sealed);
    }

    /**
     * @param blobs     routes each key to the store of the recording it names ({@link RoutedBlobStore})
     * @param placement where a recording goes that is written before its row exists
     */
    public static UseCases wire(Database db, BlobStore blobs, StorePlacement placement, Settings s, SealListener sealed) {
        return wire(db, blobs, placement, s, sealed, CHUNK_CLEANUP);
    }

    /** @param chunkCleanup where a sealed recording's chunk objects are deleted, after the seal answered */
    public static UseCases wire(Database db, BlobStore blobs, StorePlacement placement, Settings s, SealListener sealed,
                                Executor chunkCleanup) {
        ChunkUploads uploads = new ChunkUploads(db, blobs, s.maxChunkBytes(), s.lease(), s.maxInflightUploads());
        Sealing sealing = new Sealing(db, blobs, placement, s.lease(), s.spoolDirectory(), sealed, chunkCleanup);
        Deletion deletion = new Deletion(db, placement, s.lease());
        RetentionService retention = new RetentionService(db, deletion, sealing, uploads,
                new OrphanSweep(db, blobs, s.orphanGrace(), s.orphanKeysPerRun()), s.abandonAfter(), s.lease());
        return new UseCases(new Recordings(db, blobs), uploads, sealing, new CastDownloads(db, blobs), deletion, retention);
    }
}
