package io.castvault.storage;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The only way to name an object: keys are built from parsed UUIDs and integers, never from client strings,
 * so no request can address another tenant's objects or escape the layout of CONTRACT.md §4.
 */
public final class ObjectKey {
    private static final String CHUNKS = "recordings/";
    private static final String SUMMARIES = "session-recordings/";

    private final String value;

    private ObjectKey(String value) {
        this.value = value;
    }

    public static ObjectKey chunk(UUID orgId, UUID recordingId, int index) {
        if (index < 0) {
            throw new IllegalArgumentException("chunk index must not be negative");
        }
        return new ObjectKey(CHUNKS + orgId + "/" + recordingId + "/chunk-" + index + ".cast");
    }

    public static ObjectKey summary(UUID orgId, UUID recordingId) {
        return new ObjectKey(SUMMARIES + orgId + "/" + recordingId + "/recording.json");
    }

    /** Every prefix under which objects of one recording live, for deletion by listing (which also finds strays). */
    public static List<Prefix> recordingPrefixes(UUID orgId, UUID recordingId) {
        return List.of(new Prefix(CHUNKS + orgId + "/" + recordingId + "/"),
                new Prefix(SUMMARIES + orgId + "/" + recordingId + "/"));
    }

    /** A key read back from a listing of {@code prefix}; only the S3 adapter creates these. */
    static ObjectKey listed(Prefix prefix, String key) {
        if (!key.startsWith(prefix.value())) {
            throw new IllegalStateException("listing of " + prefix.value() + " returned " + key);
        }
        return new ObjectKey(key);
    }

    public String value() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ObjectKey other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return value;
    }

    /** A key prefix that ends with a slash, built only from parsed ids. */
    public static final class Prefix {
        private final String value;

        private Prefix(String value) {
            this.value = Objects.requireNonNull(value);
        }

        public String value() {
            return value;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Prefix other && value.equals(other.value);
        }

        @Override
        public int hashCode() {
            return value.hashCode();
        }

        @Override
        public String toString() {
            return value;
        }
    }
}
