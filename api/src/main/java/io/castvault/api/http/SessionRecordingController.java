package io.castvault.api.http;

import io.castvault.api.auth.BearerAuth;
import io.castvault.core.CastvaultException;
import io.castvault.db.OrgSettings;
import io.castvault.db.RecordingFilter;
import io.castvault.recording.Caller;
import io.castvault.recording.RecordingService;
import io.castvault.recording.RetentionService;
import io.castvault.recording.SettingsService;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

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

    private final BearerAuth auth;
    private final SettingsService settings;
    private final RecordingService recordings;
    private final RetentionService retention;

    public SessionRecordingController(BearerAuth auth, SettingsService settings, RecordingService recordings,
                                      RetentionService retention) {
        this.auth = auth;
        this.settings = settings;
        this.recordings = recordings;
        this.retention = retention;
    }

    @Post
    // Clients such as `curl -d` send no JSON content type; the body is read as JSON whatever it claims to be.
    @Consumes(MediaType.ALL)
    public HttpResponse<Envelope> handle(HttpRequest<?> request, @Body @Nullable String body) {
        UUID userId = auth.user(request);
        ActionRequest req = ActionRequest.parse(body);
        String action = req.requiredString("action");
        if (!ACTIONS.contains(action)) {
            throw CastvaultException.invalid("unknown action \"" + action + "\"");
        }
        Caller caller = auth.caller(userId, req.requiredUuid("org_id"));
        return switch (action) {
            case "get_settings" -> Envelope.ok(settingsView(settings.get(caller)));
            case "update_settings" -> {
                settings.update(caller, req.optionalBoolean("recording_enabled"), req.optionalLong("retention_days"),
                        req.optionalString("storage_mode"));
                yield Envelope.ok(Map.of("updated", true));
            }
            case "start" -> Envelope.created(recordings.start(caller, req.requiredUuid("machine_id"),
                    req.requiredString("session_type"), req.optionalString("gateway_session_id")));
            case "upload_chunk" -> {
                UUID session = req.requiredUuid("session_id");
                String data = req.optionalString("chunk_data");
                if (data == null) {
                    throw CastvaultException.missing("chunk_data");
                }
                int index = req.optionalInt("chunk_index", 0, 0, RecordingService.MAX_CHUNK_INDEX);
                yield Envelope.ok(recordings.uploadChunk(caller, session, index, data));
            }
            case "complete" -> Envelope.ok(Map.of("completed", recordings.complete(caller, req.requiredUuid("session_id"),
                    new RecordingService.CompleteRequest(req.optionalNonNegativeNumber("duration_seconds"),
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
