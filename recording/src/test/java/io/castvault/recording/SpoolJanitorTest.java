package io.castvault.recording;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpoolJanitorTest {
    @TempDir
    Path dir;

    @Test
    void removesOnlyOurSpoolFilesUntouchedForLongerThanTheLease() throws Exception {
        Path killedSeal = old(Files.writeString(dir.resolve("castvault-seal-123.cast"), "x"), Duration.ofHours(2));
        Path killedIngest = old(Files.writeString(dir.resolve("castvault-ingest-456.cast"), "x"), Duration.ofHours(2));
        Path stillWritten = Files.writeString(dir.resolve("castvault-ingest-789.cast"), "x");
        Path notOurs = old(Files.writeString(dir.resolve("other-1.cast"), "x"), Duration.ofHours(2));
        Path ourPrefixOtherKind = old(Files.writeString(dir.resolve("castvault-notes.txt"), "x"), Duration.ofHours(2));

        assertEquals(2, SpoolJanitor.removeStale(dir, Duration.ofHours(1)));
        assertFalse(Files.exists(killedSeal));
        assertFalse(Files.exists(killedIngest));
        assertTrue(Files.exists(stillWritten), "a file written within the lease may belong to a live upload");
        assertTrue(Files.exists(notOurs));
        assertTrue(Files.exists(ourPrefixOtherKind));
    }

    @Test
    void aMissingDirectoryIsNotFatal() {
        assertEquals(0, SpoolJanitor.removeStale(dir.resolve("gone"), Duration.ofHours(1)));
    }

    private static Path old(Path file, Duration age) throws Exception {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(age)));
        return file;
    }
}
