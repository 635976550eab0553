package io.castvault.storage;

import java.time.Instant;

/**
 * What the store says about one object; {@code lastModified} is the store's clock, not ours; {@code etag} is the
 * store's name for this version of the object, for a {@link WriteCondition}.
 */
public record BlobInfo(long length, Instant lastModified, String etag) {
}
