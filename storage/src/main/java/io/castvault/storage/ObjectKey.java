package io.castvault.storage;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
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

    /** The sealed recording: the exact bytes of the cast download, written once when the recording is sealed. */
    public static ObjectKey cast(UUID orgId, UUID recordingId) {
        return new ObjectKey(CHUNKS + orgId + "/" + recordingId + "/recording.cast");
    }

    public static ObjectKey summary(UUID orgId, UUID recordingId) {
        return new ObjectKey(SUMMARIES + orgId + "/" + recordingId + "/recording.json");
    }

    /** Every prefix under which objects of one recording live, for deletion by listing (which also finds strays). */
    public static List<Prefix> recordingPrefixes(UUID orgId, UUID recordingId) {
        return List.of(new Prefix(CHUNKS + orgId + "/" + recordingId + "/"),
                new Prefix(SUMMARIES + orgId + "/" + recordingId + "/"));
    }

    /** The prefixes under which every recording's objects live, for the orphan sweep's listing. */
    public static List<Prefix> roots() {
        return List.of(new Prefix(CHUNKS), new Prefix(SUMMARIES));
    }

    /** What a listed key names, or empty when it is not of our layout (such an object is a stray). */
    public Optional<Named> named() {
        String rest;
        boolean summaries;
        if (value.startsWith(CHUNKS)) {
            rest = value.substring(CHUNKS.length());
            summaries = false;
        } else if (value.startsWith(SUMMARIES)) {
            rest = value.substring(SUMMARIES.length());
            summaries = true;
        } else {
            return Optional.empty();
        }
        String[] parts = rest.split("/", -1);
        if (parts.length != 3) {
            return Optional.empty();
        }
        UUID org;
        UUID rec;
        try {
            org = UUID.fromString(parts[0]);
            rec = UUID.fromString(parts[1]);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!summaries && parts[2].matches("chunk-(0|[1-9][0-9]{0,8})\\.cast")) {
            int index = Integer.parseInt(parts[2].substring(6, parts[2].length() - 5));
            if (chunk(org, rec, index).equals(this)) {
                return Optional.of(new Named(org, rec, Kind.CHUNK, index));
            }
        }
        // the sealed cast, the summary, and what other parts of the service keep beside them (manifests)
        return Optional.of(new Named(org, rec, Kind.RECORDING_FILE, -1));
    }

    public enum Kind {
        CHUNK,
        /** Any other object under one recording's prefixes: it lives as long as the recording's row. */
        RECORDING_FILE
    }

    /** A key of our layout, taken apart. */
    public record Named(UUID orgId, UUID recordingId, Kind kind, int chunkIndex) {
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
