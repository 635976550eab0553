package io.castvault.storage;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The only way to name an object: keys are built from parsed UUIDs and integers, never from client strings,
 * so no request can address another tenant's objects or escape the layout of CONTRACT.md §4.
 */
public final class ObjectKey {
    private static final String CHUNKS = "recordings/";
    private static final String SUMMARIES = "session-recordings/";
    private static final String DIGESTS = "digests/";
    private static final String PROBES = "probes/";
    private static final String SIG = ".sig";
    private static final DateTimeFormatter DIGEST_PATH =
            DateTimeFormatter.ofPattern("yyyy/MM/dd/yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final String UUID_RE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    /** Every key the layout allows (CONTRACT.md §4 and §6); {@link #parse} accepts nothing else. */
    private static final Pattern LAYOUT = Pattern.compile(
            "recordings/" + UUID_RE + "/" + UUID_RE + "/(chunk-(0|[1-9][0-9]{0,8})\\.cast|recording\\.cast)"
                    + "|session-recordings/" + UUID_RE + "/" + UUID_RE + "/(recording\\.json|manifest\\.json(\\.sig)?)"
                    + "|digests/" + UUID_RE + "/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{8}T[0-9]{6}\\.[0-9]{3}Z\\.json(\\.sig)?");

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

    /** The signed manifest of a sealed recording (issue 14), beside its summary. */
    public static ObjectKey manifest(UUID orgId, UUID recordingId) {
        return new ObjectKey(SUMMARIES + orgId + "/" + recordingId + "/manifest.json");
    }

    /** The org's digest due at {@code dueAt}: {@code digests/{org}/{YYYY}/{MM}/{DD}/{timestamp}.json}. */
    public static ObjectKey digest(UUID orgId, Instant dueAt) {
        return new ObjectKey(DIGESTS + orgId + "/" + DIGEST_PATH.format(dueAt) + ".json");
    }

    /** The detached SSHSIG signature beside a manifest or digest. */
    public static ObjectKey signatureOf(ObjectKey signed) {
        if (!(signed.value.endsWith("/manifest.json") || signed.value.startsWith(DIGESTS) && signed.value.endsWith(".json"))) {
            throw new IllegalArgumentException(signed + " is neither a manifest nor a digest");
        }
        return new ObjectKey(signed.value + SIG);
    }

    /**
     * A key read from outside (a digest, a manifest, a bucket copy on disk): accepted only when it is one of the
     * layout's forms, so a tampered file can never name a path outside the layout.
     */
    public static ObjectKey parse(String key) {
        if (key == null || !LAYOUT.matcher(key).matches()) {
            throw new IllegalArgumentException("not a Castvault object key: " + key);
        }
        return new ObjectKey(key);
    }

    /** The org's recordings, summaries and manifests, and its digests: everything an auditor's copy holds. */
    public static List<Prefix> orgPrefixes(UUID orgId) {
        return List.of(new Prefix(CHUNKS + orgId + "/"), new Prefix(SUMMARIES + orgId + "/"), digestPrefix(orgId));
    }

    public static Prefix digestPrefix(UUID orgId) {
        return new Prefix(DIGESTS + orgId + "/");
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

    /** The org a key belongs to (every key of the layout names one), for routing it to the org's store. */
    public Optional<UUID> orgId() {
        return segment(value, 1);
    }

    /** The recording a key belongs to; empty for digests, which belong to the org. */
    public Optional<UUID> recordingId() {
        return value.startsWith(CHUNKS) || value.startsWith(SUMMARIES) ? segment(value, 2) : Optional.empty();
    }

    /**
     * The small object a custom store is probed with before it is saved (issue 18): {@code probes/{org}/{nonce}},
     * outside the recordings' layout, so nothing ever mistakes it for part of a recording.
     */
    public static ObjectKey probe(UUID orgId, UUID nonce) {
        return new ObjectKey(PROBES + orgId + "/" + nonce);
    }

    /** The n-th slash-separated segment of a key or prefix when it is a UUID (segment 0 is the top folder). */
    private static Optional<UUID> segment(String value, int n) {
        String[] parts = value.split("/", n + 2);
        if (parts.length <= n || parts[n].length() != 36) {
            return Optional.empty();
        }
        try {
            return Optional.of(UUID.fromString(parts[n]));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
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

        /** The org the prefix lies in; empty for the roots, which span every org. */
        public Optional<UUID> orgId() {
            return segment(value, 1);
        }

        /** The recording the prefix lies in; empty for org-wide prefixes and digests. */
        public Optional<UUID> recordingId() {
            return value.startsWith(CHUNKS) || value.startsWith(SUMMARIES) ? segment(value, 2) : Optional.empty();
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
