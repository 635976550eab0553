package io.castvault.evidence;

import io.castvault.storage.BlobStore;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Where the verifier reads a bucket from: the live store, or a copy on disk ({@code aws s3 sync}). */
public interface EvidenceSource {

    List<ObjectKey> list(ObjectKey.Prefix prefix);

    /** The object's bytes as a stream; empty when it does not exist. */
    Optional<InputStream> open(ObjectKey key);

    static EvidenceSource of(BlobStore blobs) {
        return new EvidenceSource() {
            @Override
            public List<ObjectKey> list(ObjectKey.Prefix prefix) {
                return blobs.list(prefix);
            }

            @Override
            public Optional<InputStream> open(ObjectKey key) {
                try {
                    return Optional.of(blobs.get(key));
                } catch (StorageException e) {
                    if (e.kind() == StorageException.Kind.NOT_FOUND) {
                        return Optional.empty();
                    }
                    throw e;
                }
            }
        };
    }

    /**
     * A bucket copy on disk, keys as relative paths. Files that are not keys of the layout are not evidence and
     * are skipped; every path is built from a parsed key, so nothing outside {@code root} is ever read.
     */
    static EvidenceSource directory(Path root) {
        return new EvidenceSource() {
            @Override
            public List<ObjectKey> list(ObjectKey.Prefix prefix) {
                Path dir = root.resolve(prefix.value());
                if (!Files.isDirectory(dir)) {
                    return List.of();
                }
                List<ObjectKey> keys = new ArrayList<>();
                try (Stream<Path> files = Files.walk(dir)) {
                    files.filter(Files::isRegularFile).forEach(f -> {
                        String rel = root.relativize(f).toString().replace('\\', '/');
                        try {
                            keys.add(ObjectKey.parse(rel));
                        } catch (IllegalArgumentException notOurs) {
                            // not part of the layout
                        }
                    });
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                keys.sort((a, b) -> a.value().compareTo(b.value()));
                return keys;
            }

            @Override
            public Optional<InputStream> open(ObjectKey key) {
                try {
                    return Optional.of(Files.newInputStream(root.resolve(key.value())));
                } catch (NoSuchFileException e) {
                    return Optional.empty();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}
