package io.castvault.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.api.auth.BearerAuth;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Ids;
import io.castvault.evidence.EvidenceService;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.UUID;

/**
 * {@code GET /api/session-recording/{org}/{session}/evidence}: a tar bundle an auditor verifies offline with
 * {@code sha256sum} and {@code ssh-keygen -Y verify} (same rights as {@code get}). Streamed: the cast is never
 * held in memory.
 */
@Controller("/api/session-recording")
@ExecuteOn(TaskExecutors.BLOCKING)
public class EvidenceController {
    private static final Logger LOG = LoggerFactory.getLogger(EvidenceController.class);
    private static final MediaType TAR = MediaType.of("application/x-tar");

    private final BearerAuth auth;
    private final RecordingService recordings;
    private final EvidenceService evidence;

    public EvidenceController(BearerAuth auth, RecordingService recordings, EvidenceService evidence) {
        this.auth = auth;
        this.recordings = recordings;
        this.evidence = evidence;
    }

    @Get("/{orgId}/{sessionId}/evidence")
    public HttpResponse<StreamedFile> bundle(HttpRequest<?> request, String orgId, String sessionId) throws IOException {
        UUID user = auth.user(request);
        UUID org = Ids.parse("org_id", orgId);
        UUID session = Ids.parse("session_id", sessionId);
        Caller caller = auth.caller(user, org);
        JsonNode summary = recordings.get(caller, session).r2Data();
        if (summary == null || !summary.path("recording_sha256").isTextual() || !summary.path("recording_bytes").canConvertToLong()) {
            throw new CastvaultException(ErrorCode.NOT_FOUND, "the recording is not completed; it has no evidence yet");
        }
        evidence.requireManifest(org, session);
        String sha = summary.get("recording_sha256").asText();
        long length = summary.get("recording_bytes").asLong();
        InputStream cast = recordings.openCast(caller, session);
        PipedInputStream in = new PipedInputStream(64 * 1024);
        PipedOutputStream out = new PipedOutputStream(in);
        Thread.ofVirtual().name("evidence-" + session).start(() -> {
            try (cast; out) {
                evidence.writeBundle(org, session, sha, length, cast, out);
            } catch (IOException | RuntimeException e) {
                // the status line is gone already; a truncated tar is what the client sees, and tar says so
                LOG.warn("evidence bundle of {} cut short: {}", session, e.getMessage());
            }
        });
        return HttpResponse.ok(new StreamedFile(in, TAR))
                .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"castvault-evidence-" + session + ".tar\"")
                .header(HttpHeaders.CACHE_CONTROL, "no-store");
    }
}
