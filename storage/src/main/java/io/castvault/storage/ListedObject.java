package io.castvault.storage;

import java.time.Instant;

/** One entry of a listing. */
public record ListedObject(ObjectKey key, long length, Instant lastModified) {
}
