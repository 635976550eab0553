package io.castvault.recording;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Removes the spool files (seal and agent transcripts, {@code castvault-*.cast}) that a killed process left in the
 * spool directory: a live process deletes its own when done. A file is taken only when it was last written longer
 * ago than the caller's bound on how long a file in use goes unwritten, so one still being written or stored by
 * another instance sharing the directory is never touched.
 */
public final class SpoolJanitor {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolJanitor.class);
    static final String GLOB = "castvault-*.cast";

    private SpoolJanitor() {
    }

    /** The number of files removed; a directory that cannot be read is logged, never fatal. */
    public static int removeStale(Path directory, Duration olderThan) {
        Instant cutoff = Instant.now().minus(olderThan);
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, GLOB)) {
            for (Path file : files) {
                try {
                    if (Files.isRegularFile(file) && Files.getLastModifiedTime(file).toInstant().isBefore(cutoff)) {
                        Files.deleteIfExists(file);
                        removed++;
                    }
                } catch (IOException e) {
                    LOG.warn("could not remove stale spool file {}: {}", file, e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.warn("could not read spool directory {}: {}", directory, e.getMessage());
        }
        if (removed > 0) {
            LOG.info("removed {} spool files left by a process that did not finish them ({})", removed, directory);
        }
        return removed;
    }
}
