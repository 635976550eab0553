package io.castvault.api.http;

import io.castvault.api.auth.BearerAuth;
import io.castvault.core.Ids;
import io.castvault.recording.Caller;
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

    private final BearerAuth auth;
    private final RecordingService recordings;

    public CastController(BearerAuth auth, RecordingService recordings) {
        this.auth = auth;
        this.recordings = recordings;
    }

    @Get("/{orgId}/{sessionId}/cast")
    public HttpResponse<StreamedFile> cast(HttpRequest<?> request, String orgId, String sessionId) {
        UUID user = auth.user(request);
        UUID org = Ids.parse("org_id", orgId);
        UUID session = Ids.parse("session_id", sessionId);
        Caller caller = auth.caller(user, org);
        StreamedFile file = new StreamedFile(recordings.openCast(caller, session), CAST);
        return HttpResponse.ok(file)
                .header(HttpHeaders.CONTENT_DISPOSITION, "inline; filename=\"" + session + ".cast\"")
                .header(HttpHeaders.CACHE_CONTROL, "no-store");
    }
}
