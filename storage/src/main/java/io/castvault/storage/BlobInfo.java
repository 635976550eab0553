package io.castvault.storage;

import java.time.Instant;

/** What the store says about one object; {@code lastModified} is the store's clock, not ours. */
public record BlobInfo(long length, Instant lastModified) {
}
