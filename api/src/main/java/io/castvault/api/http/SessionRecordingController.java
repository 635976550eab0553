package io.castvault.api.http;

import io.castvault.api.auth.BearerAuth;
import io.castvault.api.config.LimitsConfig;
import io.castvault.core.CastParser;
import io.castvault.api.ops.RequestTags;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.OrgSettings;
import io.castvault.db.RecordingFilter;
import io.castvault.recording.Caller;
import io.castvault.recording.RecordingService;
import io.castvault.recording.RetentionService;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** {@code POST /api/session-recording}: one route, dispatched on {@code action} (CONTRACT.md §3). */
@Controller("/api/session-recording")
@ExecuteOn(TaskExecutors.BLOCKING)
public class SessionRecordingController {
    static final int MAX_PAGE = 200;
    private static final Set<String> LISTABLE_STATUSES = Set.of("active", "completed");

    /** Room for the envelope around the largest chunk: the action, ids and the other fields. */
    static final long ENVELOPE_BYTES = 64 * 1024;

    private final long maxBodyBytes;
    private final BearerAuth auth;
    private final SettingsService settings;
    private final RecordingService recordings;
    private final RetentionService retention;

    public SessionRecordingController(BearerAuth auth, SettingsService settings, RecordingService recordings,
                                      RetentionService retention, LimitsConfig limits) {
        this.maxBodyBytes = maxBodyBytes(limits.maxChunkBytes());
        this.auth = auth;
        this.settings = settings;
        this.recordings = recordings;
        this.retention = retention;
    }

    @Post
    // Clients such as `curl -d` send no JSON content type; the body is read as JSON whatever it claims to be.
    @Consumes(MediaType.ALL)
    public HttpResponse<Envelope> handle(HttpRequest<?> request, @Body InputStream body) {
        // The token is checked before a byte of the body is read, and the body is read against this route's own
        // limit as it arrives: a caller without a token costs no memory, one with a token at most maxBodyBytes.
        boolean read = false;
        try (body) {
            UUID userId = auth.user(request);
            if (request.getContentLength() > maxBodyBytes) {
                throw new CastvaultException(ErrorCode.PAYLOAD_TOO_LARGE, "the request body is larger than "
                        + maxBodyBytes + " bytes");
            }
            ActionRequest req = ActionRequest.parse(new LimitedBody(body, maxBodyBytes));
            read = true;
            return dispatch(request, userId, req);
        } catch (CastvaultException e) {
            if (read) {
                throw e;
            }
            // the unread rest of the body would stand in front of the next request: close (see LingeringClose)
            return CastvaultExceptionHandler.respond(request, e).header(HttpHeaders.CONNECTION, "close");
        } catch (IOException e) {
            // closing the body failed: the connection is broken anyway
            return CastvaultExceptionHandler.respond(request, CastvaultException.invalid("the request body could not be read"))
                    .header(HttpHeaders.CONNECTION, "close");
        }
    }

    private HttpResponse<Envelope> dispatch(HttpRequest<?> request, UUID userId, ActionRequest req) {
        String action = req.requiredString("action");
        if (!ACTIONS.contains(action)) {
            throw CastvaultException.invalid("unknown action \"" + action + "\"");
        }
        RequestTags.action(request, action);
        Caller caller = auth.caller(userId, req.requiredUuid("org_id"));
        RequestTags.org(caller.orgId());
        return switch (action) {
            case "get_settings" -> Envelope.ok(settingsView(settings.get(caller)));
            case "update_settings" -> {
                settings.update(caller, req.optionalBoolean("recording_enabled"), req.optionalLong("retention_days"),
                        req.optionalString("storage_mode"));
                yield Envelope.ok(Map.of("updated", true));
            }
            case "start" -> Envelope.created(recordings.start(caller, req.requiredUuid("machine_id"),
                    req.requiredString("session_type")));
            case "upload_chunk" -> {
                UUID session = req.requiredUuid("session_id");
                String data = req.optionalString("chunk_data");
                if (data == null) {
                    throw CastvaultException.missing("chunk_data");
                }
                int index = req.optionalInt("chunk_index", 0, 0, RecordingService.MAX_CHUNK_INDEX);
                RequestTags.bytes(request, RequestTags.utf8Length(data));
                yield Envelope.ok(recordings.uploadChunk(caller, session, index, data));
            }
            case "complete" -> Envelope.ok(Map.of("completed", recordings.complete(caller, req.requiredUuid("session_id"),
                    new RecordingService.CompleteRequest(req.optionalNonNegativeNumber("duration_seconds", CastParser.MAX_EVENT_SECONDS.doubleValue()),
                            recordingUrl(req), transcriptLines(req)))));
            case "get" -> Envelope.ok(recordings.get(caller, req.requiredUuid("session_id")));
            case "list" -> {
                int limit = Math.min(MAX_PAGE, req.optionalInt("limit", 20, 1, Integer.MAX_VALUE));
                yield Envelope.ok(recordings.list(caller, filter(req), limit, req.optionalInt("offset", 0, 0, Integer.MAX_VALUE)));
            }
            case "delete" -> Envelope.ok(Map.of("deleted", recordings.delete(caller, req.requiredUuid("session_id"))));
            case "cleanup" -> {
                RetentionService.CleanupResult result = retention.cleanup(caller);
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("deleted", result.deleted());
                if (result.pending() > 0) {
                    data.put("pending", result.pending());
                }
                yield Envelope.ok(data);
            }
            default -> throw new IllegalStateException(action);
        };
    }

    /**
     * The largest body: the largest chunk written as JSON in the worst case, every character a six-byte
     * {@code \\u00XX} escape (terminal output is full of control characters that encoders write that way), plus
     * the envelope.
     */
    static long maxBodyBytes(long maxChunkBytes) {
        return 6 * maxChunkBytes + ENVELOPE_BYTES;
    }

    private static final Set<String> ACTIONS = Set.of("get_settings", "update_settings", "start", "upload_chunk",
            "complete", "get", "list", "delete", "cleanup");

    private static Map<String, Object> settingsView(OrgSettings s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("recording_enabled", s.recordingEnabled());
        m.put("retention_days", s.retentionDays());
        m.put("storage_mode", s.storageMode());
        return m;
    }

    private static RecordingFilter filter(ActionRequest req) {
        String status = req.optionalString("status");
        if (status != null && !LISTABLE_STATUSES.contains(status)) {
            throw CastvaultException.invalid("status must be \"active\" or \"completed\"");
        }
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
}
