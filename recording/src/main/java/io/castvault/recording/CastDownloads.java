package io.castvault.recording;

import io.castvault.core.model.RecordingStatus;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.core.CastvaultException;
import io.castvault.core.model.Chunk;
import io.castvault.db.Database;
import io.castvault.db.RecordingQueries;
import io.castvault.core.model.Recording;
import io.castvault.storage.BlobInfo;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ByteRange;
import io.castvault.storage.ObjectKey;

import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The cast download. A sealed recording is one object, served as it is (length known, ranges, its SHA-256 as the
 * entity tag); an active recording, or one completed before sealing existed, is assembled from its chunks while
 * streaming.
 */
public final class CastDownloads {
    public static final int MIN_URL_TTL_SECONDS = 60;
    public static final int MAX_URL_TTL_SECONDS = 3600;
    public static final int DEFAULT_URL_TTL_SECONDS = 300;

    private final Database db;
    private final BlobStore blobs;

    public CastDownloads(Database db, BlobStore blobs) {
        this.db = db;
        this.blobs = blobs;
    }

    /**
     * What the route needs before it sends a status line: {@code length} is known (and ranges possible) only for
     * a sealed recording; {@code sha256Hex} once the recording is completed.
     */
    public record Cast(UUID orgId, UUID id, boolean sealed, Long length, String sha256Hex, List<Chunk> chunks) {
    }

    public record DownloadUrl(URI url, Instant expiresAt) {
    }

    /** Looks the recording up and checks the store has what the download needs, so a lost object is a 503, not a short 200. */
    public Cast describe(Caller caller, UUID sessionId) {
        Recording row = db.inOrg(caller.orgId(), tx -> RecordingQueries.find(tx, sessionId))
                .orElseThrow(() -> CastvaultException.notFound("recording"));
        caller.requireReader(row.userId());
        String sha = sha256(row);
        if (row.sealed()) {
            ObjectKey key = ObjectKey.cast(caller.orgId(), sessionId);
            BlobInfo info = StoreFailures.call(() -> blobs.head(key))
                    .orElseThrow(() -> StoreFailures.lost(key, "is missing", null));
            return new Cast(caller.orgId(), sessionId, true, info.length(), sha, List.of());
        }
        List<Chunk> chunks = db.inOrg(caller.orgId(), tx -> RecordingQueries.chunks(tx, sessionId));
        if (!chunks.isEmpty()) {
            ObjectKey first = ObjectKey.chunk(caller.orgId(), sessionId, chunks.get(0).index());
            if (StoreFailures.call(() -> blobs.head(first)).isEmpty()) {
                throw StoreFailures.lost(first, "is missing", null);
            }
        }
        return new Cast(caller.orgId(), sessionId, false, null, sha, chunks);
    }

    /** The whole download; the caller closes it. A failure after the first byte surfaces as an IOException. */
    public InputStream open(Cast cast) {
        if (cast.sealed()) {
            return StoreFailures.call(() -> blobs.get(ObjectKey.cast(cast.orgId(), cast.id())));
        }
        return new CastStream(blobs, cast.orgId(), cast.id(), cast.chunks(), false);
    }

    /** Part of a sealed recording's download. */
    public InputStream open(Cast cast, ByteRange range) {
        if (!cast.sealed()) {
            throw new IllegalArgumentException("ranges are served for sealed recordings only");
        }
        return StoreFailures.call(() -> blobs.get(ObjectKey.cast(cast.orgId(), cast.id()), range));
    }

    /** {@code download_url}: a presigned GET of the sealed object, so a large download need not pass through us. */
    public DownloadUrl downloadUrl(Caller caller, UUID sessionId, int ttlSeconds) {
        if (ttlSeconds < MIN_URL_TTL_SECONDS || ttlSeconds > MAX_URL_TTL_SECONDS) {
            throw CastvaultException.invalid("ttl_seconds must be between " + MIN_URL_TTL_SECONDS + " and " + MAX_URL_TTL_SECONDS);
        }
        Recording row = db.inOrg(caller.orgId(), tx -> RecordingQueries.find(tx, sessionId))
                .orElseThrow(() -> CastvaultException.notFound("recording"));
        caller.requireReader(row.userId());
        if (!row.sealed()) {
            throw CastvaultException.conflict("the recording is not sealed (still active, or completed before sealing "
                    + "existed); use the cast route");
        }
        Duration ttl = Duration.ofSeconds(ttlSeconds);
        Instant expires = Instant.now().plus(ttl);
        return new DownloadUrl(StoreFailures.call(() -> blobs.presignGet(ObjectKey.cast(caller.orgId(), sessionId), ttl)),
                expires);
    }

    private static String sha256(Recording row) {
        JsonNode sha = Json.parseObject(row.metadataJson()).get("recording_sha256");
        return sha != null && sha.isTextual() && row.status() == RecordingStatus.COMPLETED ? sha.asText() : null;
    }
}
