package io.castvault.api.http;

import io.castvault.api.auth.BearerAuth;
import io.castvault.api.config.LimitsConfig;
import io.castvault.core.CastParser;
import io.castvault.api.ops.RequestTags;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Times;
import io.castvault.db.AuditFilter;
import io.castvault.events.Events;
import io.castvault.events.Outbox;
import io.castvault.db.AuditLog;
import io.castvault.db.OrgPolicy;
import io.castvault.core.model.RecordingStatus;
import io.castvault.db.OrgSettings;
import io.castvault.db.RecordingFilter;
import io.castvault.recording.Audit;
import io.castvault.recording.AuditService;
import io.castvault.db.Role;
import io.castvault.evidence.EvidenceService;
import io.castvault.evidence.Verifier;
import io.castvault.recording.Caller;
import io.castvault.recording.LegalHoldService;
import io.castvault.recording.RequestContext;
import io.castvault.recording.CastDownloads;
import io.castvault.recording.ChunkUploads;
import io.castvault.recording.Deletion;
import io.castvault.recording.Recordings;
import io.castvault.recording.Sealing;
import io.castvault.recording.RetentionService;
import io.castvault.recording.CustomStorage;
import io.castvault.recording.SettingsService;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/** {@code POST /api/session-recording}: one route, dispatched on {@code action} (CONTRACT.md §3). */
@Controller("/api/session-recording")
@ExecuteOn(TaskExecutors.BLOCKING)
public class SessionRecordingController {
    static final int MAX_PAGE = 200;
    private static final Set<RecordingStatus> LISTABLE_STATUSES = Set.of(RecordingStatus.ACTIVE, RecordingStatus.COMPLETED);

    private final long maxBodyBytes;
    private final BearerAuth auth;
    private final SettingsService settings;
    private final Recordings recordings;
    private final ChunkUploads uploads;
    private final Sealing sealing;
    private final CastDownloads downloads;
    private final Deletion deletion;
    private final RetentionService retention;
    private final LegalHoldService holds;
    private final AuditService audit;
    private final RequestContexts contexts;
    private final EvidenceService evidence;

    public SessionRecordingController(BearerAuth auth, SettingsService settings, Recordings recordings,
                                      ChunkUploads uploads, Sealing sealing, CastDownloads downloads, Deletion deletion,
                                      RetentionService retention, LimitsConfig limits, LegalHoldService holds,
                                      AuditService audit, RequestContexts contexts, EvidenceService evidence) {
        this.maxBodyBytes = JsonBodyLimit.around(limits.maxChunkBytes());
        this.auth = auth;
        this.settings = settings;
        this.recordings = recordings;
        this.uploads = uploads;
        this.sealing = sealing;
        this.downloads = downloads;
        this.deletion = deletion;
        this.retention = retention;
        this.holds = holds;
        this.audit = audit;
        this.contexts = contexts;
        this.evidence = evidence;
    }

    @Post
    // Clients such as `curl -d` send no JSON content type; the body is read as JSON whatever it claims to be.
    @Consumes(MediaType.ALL)
    public HttpResponse<Envelope> handle(HttpRequest<?> request, @Body InputStream body) {
        RequestContext context = contexts.of(request);
        // The token is checked before a byte of the body is read, and the body is read against this route's own
        // limit as it arrives: a caller without a token costs no memory, one with a token at most maxBodyBytes.
        boolean read = false;
        try (body) {
            UUID userId = AuditedAuth.user(auth, audit, request, context);
            if (request.getContentLength() > maxBodyBytes) {
                throw new CastvaultException(ErrorCode.PAYLOAD_TOO_LARGE, "the request body is larger than "
                        + maxBodyBytes + " bytes");
            }
            ActionRequest req = ActionRequest.parse(new LimitedBody(body, maxBodyBytes), request.getContentLength());
            read = true;
            return handleAction(request, context, userId, req);
        } catch (CastvaultException e) {
            if (read) {
                throw e;
            }
            // the unread rest of the body would stand in front of the next request: close (see LingeringClose)
            return Envelope.error(request, e).header(HttpHeaders.CONNECTION, "close");
        } catch (IOException e) {
            // closing the body failed: the connection is broken anyway
            return Envelope.error(request, CastvaultException.invalid("the request body could not be read"))
                    .header(HttpHeaders.CONNECTION, "close");
        }
    }

    private HttpResponse<Envelope> handleAction(HttpRequest<?> request, RequestContext context, UUID userId,
                                                ActionRequest req) {
        String action = req.requiredString("action");
        if (!ACTIONS.contains(action)) {
            String named = action.length() <= 64 ? action : action.substring(0, 64) + "…";
            throw CastvaultException.invalid("unknown action \"" + named + "\"");
        }
        RequestTags.action(request, action);
        UUID orgId = req.requiredUuid("org_id");
        Audit.Target target = target(action, req);
        try {
            Caller caller = auth.caller(userId, orgId).with(context);
            RequestTags.org(caller.orgId());
            return dispatch(request, action, req, caller, target);
        } catch (CastvaultException e) {
            // individual chunk uploads are not entries, refused or not: complete records what arrived
            if (!"upload_chunk".equals(action)) {
                audit.refused(orgId, Audit.USER, userId, context, action, target, e.code(), e.getMessage());
            }
            throw e;
        }
    }

    /** Changes (and list) record their own entry in their transaction; other reads are recorded here once they succeeded. */
    private HttpResponse<Envelope> dispatch(HttpRequest<?> request, String action, ActionRequest req, Caller caller,
                                            Audit.Target target) {
        return switch (action) {
            case "get_settings" -> {
                Map<String, Object> view = settingsView(settings.get(caller), settings.policy(caller));
                view.put("custom_storage", settings.customStorage(caller).map(SessionRecordingController::storeView).orElse(null));
                audit.read(caller, action, target, null);
                yield Envelope.ok(view);
            }
            case "update_settings" -> {
                settings.update(caller, req.optionalBoolean("recording_enabled"), req.optionalLong("retention_days"),
                        req.optionalString("storage_mode"), req.optionalLong("audit_retention_days"),
                        req.optionalBoolean("legal_hold"), customStorage(req));
                yield Envelope.ok(Map.of("updated", true));
            }
            case "start" -> Envelope.created(recordings.start(caller, req.requiredUuid("machine_id"),
                    req.requiredString("session_type"), req.optionalString("gateway_session_id")));
            case "upload_chunk" -> {
                UUID session = req.requiredUuid("session_id");
                byte[] data = req.optionalUtf8("chunk_data");
                if (data == null) {
                    throw CastvaultException.missing("chunk_data");
                }
                int index = req.optionalInt("chunk_index", 0, 0, ChunkUploads.MAX_CHUNK_INDEX);
                ChunkUploads.ChunkStored stored = uploads.upload(caller, session, index, data);
                RequestTags.bytes(request, stored.byteLength());
                yield Envelope.ok(new UploadAnswer(stored.stored(), stored.chunkIndex()));
            }
            case "complete" -> Envelope.ok(Map.of("completed", sealing.complete(caller, req.requiredUuid("session_id"),
                    new Sealing.CompleteRequest(req.optionalNonNegativeNumber("duration_seconds",
                            CastParser.MAX_EVENT_SECONDS.doubleValue()), recordingUrl(req), transcriptLines(req)))));
            case "get" -> {
                var details = RecordingJson.details(recordings.get(caller, req.requiredUuid("session_id")));
                audit.read(caller, action, target, null);
                yield Envelope.ok(details);
            }
            case "list" -> {
                int limit = Math.min(MAX_PAGE, req.optionalInt("limit", 20, 1, Integer.MAX_VALUE));
                var page = RecordingJson.page(recordings.list(caller, filter(req), limit,
                        req.optionalInt("offset", 0, 0, Integer.MAX_VALUE),
                        bounded(req.optionalString("cursor"), "cursor", 64)));
                yield Envelope.ok(page);
            }
            case "delete" -> Envelope.ok(Map.of("deleted", deletion.delete(caller, req.requiredUuid("session_id"))));
            case "download_url" -> {
                CastDownloads.DownloadUrl url = downloads.downloadUrl(caller, req.requiredUuid("session_id"),
                        req.optionalInt("ttl_seconds", CastDownloads.DEFAULT_URL_TTL_SECONDS,
                                CastDownloads.MIN_URL_TTL_SECONDS, CastDownloads.MAX_URL_TTL_SECONDS));
                audit.read(caller, action, target, Map.of("expires_at", url.expiresAt().toString()));
                yield Envelope.ok(Map.of("url", url.url().toString(), "expires_at", url.expiresAt().toString()));
            }
            case "cleanup" -> {
                RetentionService.CleanupResult result = retention.cleanup(caller);
                int held = holds.expiredHeld(caller);
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("deleted", result.deleted());
                if (result.pending() > 0) {
                    data.put("pending", result.pending());
                }
                if (held > 0) {
                    data.put("held", held);
                }
                audit.read(caller, action, target, data);
                yield Envelope.ok(data);
            }
            case "set_legal_hold" -> {
                Boolean hold = req.optionalBoolean("hold");
                if (hold == null) {
                    throw CastvaultException.missing("hold");
                }
                yield Envelope.ok(holds.set(caller, req.requiredUuid("session_id"), hold, req.optionalString("reason")));
            }
            case "audit" -> {
                int limit = Math.min(AuditService.MAX_PAGE, req.optionalInt("limit", AuditService.DEFAULT_PAGE, 1, Integer.MAX_VALUE));
                AuditService.Page page = audit.page(caller, auditFilter(req::optionalString, req::optionalUuid), limit,
                        bounded(req.optionalString("cursor"), "cursor", 64));
                audit.read(caller, action, target, null);
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("entries", page.entries());
                data.put("next_cursor", page.nextCursor());
                yield Envelope.ok(data);
            }
            case "verify_audit" -> {
                AuditLog.Verification v = audit.verify(caller);
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("ok", v.ok());
                data.put("checked", v.checked());
                data.put("head_seq", v.headSeq());
                data.put("head_hash", v.headHash());
                data.put("finding_count", v.findingCount());
                data.put("findings", v.findings().stream().map(f -> Map.of("seq", f.seq(), "id", f.id(),
                        "kind", f.kind(), "detail", f.detail())).toList());
                audit.read(caller, action, target, Map.of("ok", v.ok(), "checked", v.checked()));
                yield Envelope.ok(data);
            }
            case "get_public_keys" -> {
                var keys = evidence.publicKeys(caller.orgId());
                audit.read(caller, action, target, null);
                yield Envelope.ok(keys);
            }
            case "rotate_signing_key" -> {
                caller.requireRole(Role.ADMIN);
                String fingerprint = evidence.rotate(caller.orgId(), (tx, rotation) -> {
                    Audit.keyRotated(tx, caller, rotation.previousFingerprint(), rotation.fingerprint());
                    Outbox.append(tx, Events.signingKeyRotated(caller.orgId(), rotation.fingerprint(),
                            rotation.previousFingerprint(), caller.userId()));
                });
                yield Envelope.ok(Map.of("fingerprint", fingerprint));
            }
            case "verify" -> {
                caller.requireRole(Role.ADMIN, Role.AUDITOR);
                UUID session = req.optionalUuid("session_id");
                Map<String, Object> data = new LinkedHashMap<>();
                if (session != null) {
                    recordingsVisible(caller, session);
                }
                Verifier.Report report = evidence.verify(caller.orgId(), session);
                data.put("ok", report.ok());
                data.put("findings", report.findings());
                if (session != null) {
                    data.put("integrity", evidence.integrity(caller.orgId(), session).orElse(null));
                }
                audit.read(caller, action, target, Map.of("ok", report.ok()));
                yield Envelope.ok(data);
            }
            default -> throw new IllegalStateException(action);
        };
    }

    /**
     * A session-scoped verify names a recording the org sealed (also one removed since: its evidence is the
     * removal), or one of its active recordings; anything else is 404 like everywhere. The row is not read for a
     * sealed one, so a recording whose summary was tampered with still gets its findings instead of a 503.
     */
    private void recordingsVisible(Caller caller, UUID session) {
        if (evidence.integrity(caller.orgId(), session).isEmpty()) {
            recordings.get(caller, session);
        }
    }


    private static final Set<String> ACTIONS = Set.of("get_settings", "update_settings", "start", "upload_chunk",
            "complete", "get", "list", "delete", "cleanup", "download_url", "set_legal_hold", "audit",
            "verify_audit", "get_public_keys", "rotate_signing_key", "verify");

    /** What the entry is about; a malformed session_id is the action's own error, not the audit's. */
    private static Audit.Target target(String action, ActionRequest req) {
        return switch (action) {
            case "get_settings", "update_settings" -> Audit.Target.SETTINGS;
            case "audit", "verify_audit" -> Audit.Target.AUDIT;
            default -> {
                try {
                    yield Audit.Target.recording(req.optionalUuid("session_id"));
                } catch (CastvaultException e) {
                    yield Audit.Target.NONE;
                }
            }
        };
    }

    /** The audit filters, from the action's fields or the export's query parameters. */
    static AuditFilter auditFilter(Function<String, String> strings, Function<String, UUID> uuids) {
        return new AuditFilter(instant(strings.apply("since"), "since"), instant(strings.apply("until"), "until"),
                uuids.apply("actor_id"), bounded(strings.apply("audit_action"), "audit_action", 64),
                uuids.apply("session_id"), bounded(strings.apply("source_ip"), "source_ip", 64),
                bounded(strings.apply("outcome"), "outcome", 64));
    }

    private static Instant instant(String text, String field) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            if (text.length() > 64) {
                throw new DateTimeParseException("too long", text, 0);
            }
            Instant t = OffsetDateTime.parse(text).toInstant();
            if (!Times.storable(t)) {
                throw CastvaultException.invalid(field + " must be between " + Times.EARLIEST + " and " + Times.LATEST);
            }
            return t;
        } catch (DateTimeParseException e) {
            throw CastvaultException.invalid(field + " must be an ISO-8601 time with an offset, e.g. 2026-01-31T00:00:00Z");
        }
    }

    private static String bounded(String value, String field, int max) {
        if (value != null && value.length() > max) {
            throw CastvaultException.invalid(field + " must be at most " + max + " characters");
        }
        return value == null || value.isEmpty() ? null : value;
    }

    private static Map<String, Object> settingsView(OrgSettings s, OrgPolicy policy) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("recording_enabled", s.recordingEnabled());
        m.put("retention_days", s.retentionDays());
        m.put("storage_mode", s.storageMode());
        m.put("audit_retention_days", policy.auditRetentionDays());
        m.put("legal_hold", policy.legalHold());
        return m;
    }

    /** {@code custom_storage} of update_settings (issue 18); its strings are bounded in {@link CustomStorage#parse}. */
    private CustomStorage customStorage(ActionRequest req) {
        ActionRequest c = req.optionalObject("custom_storage");
        return c == null ? null : CustomStorage.parse(c.optionalString("endpoint"), c.optionalString("region"),
                c.optionalString("bucket"), c.optionalString("access_key"), c.optionalString("secret_key"),
                c.optionalBoolean("path_style"), c.optionalString("prefix"), settings.allowsLocalEndpoints());
    }

    /** What get_settings shows of the org's store: never the secret key, the access key masked. */
    private static Map<String, Object> storeView(SettingsService.CustomStorageView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("endpoint", v.endpoint());
        m.put("region", v.region());
        m.put("bucket", v.bucket());
        m.put("prefix", v.prefix());
        m.put("path_style", v.pathStyle());
        m.put("access_key", v.accessKeyMasked());
        return m;
    }

    private static RecordingFilter filter(ActionRequest req) {
        String value = req.optionalString("status");
        RecordingStatus status = value == null ? null : RecordingStatus.parse(value)
                .filter(LISTABLE_STATUSES::contains)
                .orElseThrow(() -> CastvaultException.invalid("status must be \"active\" or \"completed\""));
        return new RecordingFilter(req.optionalUuid("machine_id"), status);
    }

    private static String recordingUrl(ActionRequest req) {
        String url = req.optionalString("recording_url");
        if (url != null && url.length() > 2048) {
            throw CastvaultException.invalid("recording_url must be at most 2048 characters");
        }
        return url;
    }

    private static Long transcriptLines(ActionRequest req) {
        Long lines = req.optionalLong("transcript_lines");
        if (lines != null && lines < 0) {
            throw CastvaultException.invalid("transcript_lines must not be negative");
        }
        return lines;
    }

    /** upload_chunk's data (CONTRACT.md): the stored key and the index. */
    public record UploadAnswer(String stored, int chunkIndex) {
    }
}
