package io.castvault.api.http;

import io.castvault.api.auth.BearerAuth;
import io.castvault.core.CastvaultException;
import io.castvault.core.Ids;
import io.castvault.recording.Audit;
import io.castvault.recording.AuditService;
import io.castvault.recording.Caller;
import io.castvault.recording.RequestContext;
import io.castvault.recording.RecordingService;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.server.types.files.StreamedFile;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.util.UUID;

/** {@code GET /api/session-recording/{org}/{session}/cast}: the recording as one asciicast v2 file, streamed. */
@Controller("/api/session-recording")
@ExecuteOn(TaskExecutors.BLOCKING)
public class CastController {
    private static final MediaType CAST = MediaType.of(RecordingService.CAST_CONTENT_TYPE);

    static final String CAST_DOWNLOAD = "cast_download";

    private final BearerAuth auth;
    private final RecordingService recordings;
    private final AuditService audit;
    private final RequestContexts contexts;

    public CastController(BearerAuth auth, RecordingService recordings, AuditService audit, RequestContexts contexts) {
        this.auth = auth;
        this.recordings = recordings;
        this.audit = audit;
        this.contexts = contexts;
    }

    @Get("/{orgId}/{sessionId}/cast")
    public HttpResponse<StreamedFile> cast(HttpRequest<?> request, String orgId, String sessionId) {
        RequestContext context = contexts.of(request);
        UUID user;
        try {
            user = auth.user(request);
        } catch (CastvaultException e) {
            audit.refused(null, Audit.ANONYMOUS, null, context, SessionRecordingController.AUTH_FAILED,
                    Audit.Target.NONE, e.code(), e.getMessage());
            throw e;
        }
        UUID org = Ids.parse("org_id", orgId);
        UUID session = Ids.parse("session_id", sessionId);
        Audit.Target target = Audit.Target.recording(session);
        StreamedFile file;
        try {
            Caller caller = auth.caller(user, org).with(context);
            file = new StreamedFile(recordings.openCast(caller, session), CAST);
            audit.read(caller, CAST_DOWNLOAD, target, null);
        } catch (CastvaultException e) {
            audit.refused(org, Audit.USER, user, context, CAST_DOWNLOAD, target, e.code(), e.getMessage());
            throw e;
        }
        return HttpResponse.ok(file)
                .header(HttpHeaders.CONTENT_DISPOSITION, "inline; filename=\"" + session + ".cast\"")
                .header(HttpHeaders.CACHE_CONTROL, "no-store");
    }
}
