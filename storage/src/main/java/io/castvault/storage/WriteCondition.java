package io.castvault.storage;

import java.util.Optional;

/**
 * What a write expects to find at its key. A write whose expectation no longer holds is refused with
 * {@link StorageException.Kind#PRECONDITION_FAILED} and changes nothing: a writer that looked at an object, then
 * checked that it may still write, cannot overwrite what another writer put there meanwhile (S3's conditional
 * writes, {@code If-Match} / {@code If-None-Match: *}).
 */
public sealed interface WriteCondition {
    /** Writes over whatever is there. */
    WriteCondition ANY = new Any();

    /**
     * Writes over what {@link BlobStore#head} showed: the object with that ETag, or no object at all. An object the
     * store named no ETag for cannot be matched (no S3 store does that): the write then goes over whatever is there.
     */
    static WriteCondition replacing(Optional<BlobInfo> seen) {
        if (seen.isEmpty()) {
            return new Absent();
        }
        String etag = seen.get().etag();
        return etag == null || etag.isEmpty() ? ANY : new Matching(etag);
    }

    record Any() implements WriteCondition {
    }

    /** Only where there is no object. */
    record Absent() implements WriteCondition {
    }

    /** Only over the object with this ETag, as the store reported it; refused where there is no object. */
    record Matching(String etag) implements WriteCondition {
        public Matching {
            if (etag == null || etag.isEmpty()) {
                throw new IllegalArgumentException("an ETag to match is required");
            }
        }
    }
}
