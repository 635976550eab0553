package io.castvault.recording;

import io.castvault.core.model.RecordingStatus;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.Database;
import io.castvault.db.MachineQueries;
import io.castvault.db.RecordingFilter;
import io.castvault.db.RecordingQueries;
import io.castvault.db.RecordingQueries.LockedRecording;
import io.castvault.core.model.Recording;
import io.castvault.db.Role;
import io.castvault.db.SettingsQueries;
import io.castvault.db.StatusStats;
import io.castvault.events.Events;
import io.castvault.events.Outbox;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/** Starting a recording and reading recordings ({@code start}, {@code get}, {@code list}). */
public final class Recordings {
    public static final String CAST_CONTENT_TYPE = "application/x-asciicast";
    private static final Pattern SESSION_TYPE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,31}");

    private final Database db;
    private final BlobStore blobs;

    public Recordings(Database db, BlobStore blobs) {
        this.db = db;
        this.blobs = blobs;
    }

    public record Started(UUID sessionId, String status) {
    }

    /** The recording and, once completed, its summary document as stored (in today's shape, see {@link SummaryUpgrade}). */
    public record Details(Recording recording, JsonNode summary) {
    }

    /** {@code nextCursor}: where the next page starts, null when this page is the last. */
    public record Page(List<Recording> recordings, List<StatusStats> stats, String nextCursor) {
    }

    public static String requireSessionType(String sessionType) {
        if (sessionType == null || sessionType.isEmpty()) {
            throw CastvaultException.missing("session_type");
        }
        if (!SESSION_TYPE.matcher(sessionType).matches()) {
            throw CastvaultException.invalid("session_type must be a short lowercase token such as \"ssh\"");
        }
        return sessionType;
    }

    /** {@code gatewaySessionId} (optional): the gateway's own session id, whose session-end event seals it. */
    public Started start(Caller caller, UUID machineId, String sessionType, String gatewaySessionId) {
        caller.requireRole(Role.ADMIN, Role.MEMBER);
        requireSessionType(sessionType);
        GatewaySessionSealing.requireGatewaySessionId(gatewaySessionId);
        UUID id = UUID.randomUUID();
        db.inOrg(caller.orgId(), tx -> {
            if (!SettingsQueries.get(tx).recordingEnabled()) {
                throw recordingDisabled();
            }
            if (MachineQueries.find(tx, machineId).isEmpty()) {
                throw CastvaultException.notFound("machine");
            }
            Instant startedAt = RecordingQueries.insert(tx, new RecordingQueries.NewRecording(
                    id, machineId, caller.userId(), sessionType, RecordingStatus.ACTIVE, "{}"));
            GatewaySessionSealing.bind(tx, id, gatewaySessionId);
            Audit.started(tx, caller, id, machineId, sessionType);
            Outbox.append(tx, Events.recordingStarted(caller.orgId(), id, machineId, caller.userId(), sessionType,
                    startedAt, gatewaySessionId));
            return null;
        });
        return new Started(id, RecordingStatus.ACTIVE.dbValue());
    }

    public static String castPath(UUID orgId, UUID recordingId) {
        return "/api/session-recording/" + orgId + "/" + recordingId + "/cast";
    }

    public Details get(Caller caller, UUID sessionId) {
        Recording row = db.inOrg(caller.orgId(), tx -> RecordingQueries.find(tx, sessionId))
                .orElseThrow(() -> CastvaultException.notFound("recording"));
        caller.requireReader(row.userId());
        JsonNode summary = null;
        if (row.r2Key() != null) {
            ObjectKey key = ObjectKey.summary(caller.orgId(), sessionId);
            try (InputStream in = blobs.get(key)) {
                summary = SummaryUpgrade.apply(Json.MAPPER.readTree(in));
            } catch (IOException e) {
                throw StoreFailures.unavailable(new StorageException(StorageException.Kind.UNAVAILABLE,
                        "reading the summary failed", e));
            } catch (StorageException e) {
                throw e.kind() == StorageException.Kind.NOT_FOUND ? StoreFailures.lost(key, "is missing", e)
                        : StoreFailures.unavailable(e);
            }
        }
        return new Details(row, summary);
    }

    /**
     * One page of {@code list}, from {@code offset} or from {@code cursor} (one of the two). One row past the page
     * is read to know whether a next page exists, so the last page carries no cursor. The read is recorded in
     * the audit trail by the statement that reads the stats.
     */
    public Page list(Caller caller, RecordingFilter filter, int limit, int offset, String cursor) {
        caller.requireRole(Role.ADMIN, Role.AUDITOR);
        RecordingQueries.ListPosition after = cursor == null ? null : ListCursor.decode(cursor);
        if (after != null && offset != 0) {
            throw CastvaultException.invalid("give either offset or cursor, not both");
        }
        return db.inOrg(caller.orgId(), tx -> {
            List<Recording> rows = RecordingQueries.list(tx, filter, limit + 1, offset, after);
            String next = null;
            if (rows.size() > limit) {
                rows = rows.subList(0, limit);
                Recording last = rows.getLast();
                next = ListCursor.encode(new RecordingQueries.ListPosition(last.startedAt(), last.id()));
            }
            return new Page(rows, RecordingQueries.statsRecordingRead(tx, filter,
                    Audit.readEntry(caller, "list", Audit.Target.NONE, null)), next);
        });
    }

    /** Fails with {@code RECORDING_DISABLED} unless the org records sessions; lets agent ingest refuse early. */
    public void requireRecordingEnabled(UUID orgId) {
        db.inOrg(orgId, tx -> {
            if (!SettingsQueries.get(tx).recordingEnabled()) {
                throw recordingDisabled();
            }
            return null;
        });
    }

    static CastvaultException recordingDisabled() {
        return new CastvaultException(ErrorCode.RECORDING_DISABLED, "session recording is disabled for this org");
    }

    static LockedRecording visible(Optional<LockedRecording> rec) {
        return rec.filter(r -> r.status() != RecordingStatus.DELETING)
                .orElseThrow(() -> CastvaultException.notFound("recording"));
    }

    static void requireActive(LockedRecording rec) {
        if (rec.status() != RecordingStatus.ACTIVE) {
            throw CastvaultException.conflict("recording is already " + rec.status().dbValue());
        }
    }
}
