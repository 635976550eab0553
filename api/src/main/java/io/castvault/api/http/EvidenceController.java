package io.castvault.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.api.auth.BearerAuth;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Ids;
import io.castvault.evidence.EvidenceService;
import io.castvault.recording.Caller;
import io.castvault.recording.Audit;
import io.castvault.recording.AuditService;
import io.castvault.recording.CastDownloads;
import io.castvault.recording.Recordings;
import io.castvault.recording.RequestContext;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
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
 * {@code ssh-keygen -Y verify} and {@code sha256sum} against the signed manifest (same rights as {@code get}). Streamed: the cast is never
 * held in memory.
 */
@Controller("/api/session-recording")
@ExecuteOn(TaskExecutors.BLOCKING)
public class EvidenceController {
    private static final Logger LOG = LoggerFactory.getLogger(EvidenceController.class);
    private static final MediaType TAR = MediaType.of("application/x-tar");

    private final BearerAuth auth;
    static final String EVIDENCE_DOWNLOAD = "evidence_download";

    private final Recordings recordings;
    private final CastDownloads downloads;
    private final EvidenceService evidence;
    private final AuditService audit;
    private final RequestContexts contexts;

    public EvidenceController(BearerAuth auth, Recordings recordings, CastDownloads downloads, EvidenceService evidence,
                              AuditService audit, RequestContexts contexts) {
        this.auth = auth;
        this.recordings = recordings;
        this.downloads = downloads;
        this.evidence = evidence;
        this.audit = audit;
        this.contexts = contexts;
    }

    @Get("/{orgId}/{sessionId}/evidence")
    public HttpResponse<?> bundle(HttpRequest<?> request, String orgId, String sessionId) throws IOException {
        RequestContext context = contexts.of(request);
        UUID user = AuditedAuth.user(auth, audit, request, context);
        UUID org = Ids.parse("org_id", orgId);
        UUID session = Ids.parse("session_id", sessionId);
        Audit.Target target = Audit.Target.recording(session);
        InputStream cast;
        long length;
        try {
            Caller caller = auth.caller(user, org).with(context);
            JsonNode summary = recordings.get(caller, session).summary();
            if (summary == null || !summary.path("recording_sha256").isTextual() || !summary.path("recording_bytes").canConvertToLong()) {
                throw new CastvaultException(ErrorCode.NOT_FOUND, "the recording is not completed; it has no evidence yet");
            }
            evidence.requireManifest(org, session);
            length = summary.get("recording_bytes").asLong();
            cast = downloads.open(downloads.describe(caller, session));
            audit.read(caller, EVIDENCE_DOWNLOAD, target, null);
        } catch (CastvaultException e) {
            audit.refused(org, Audit.USER, user, context, EVIDENCE_DOWNLOAD, target, e.code(), e.getMessage());
            throw e;
        }
        PipedInputStream pipe = new PipedInputStream(64 * 1024);
        PipedOutputStream out = new PipedOutputStream(pipe);
        FailableStream in = new FailableStream(pipe);
        Thread.ofVirtual().name("evidence-" + session).start(() -> {
            try {
                evidence.writeBundle(org, session, length, cast, out);
            } catch (IOException | RuntimeException e) {
                // the status line is gone already: the reader fails (set before the pipe closes), so the
                // connection breaks instead of ending a short tar
                LOG.warn("evidence bundle of {} cut short: {}", session, e.getMessage());
                in.fail(e);
            } finally {
                closeQuietly(cast);
                closeQuietly(out);
            }
        });
        return HttpResponse.ok(Download.ofUnknownLength(in)).contentType(TAR)
                .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"castvault-evidence-" + session + ".tar\"")
                .header(HttpHeaders.CACHE_CONTROL, "no-store");
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing more to tell the client
        }
    }

    /** The pipe's reading end, which fails instead of ending when the writer failed. */
    private static final class FailableStream extends java.io.FilterInputStream {
        private volatile Throwable failure;

        FailableStream(InputStream in) {
            super(in);
        }

        void fail(Throwable e) {
            failure = e;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            return b < 0 ? end() : b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            return n < 0 ? end() : n;
        }

        private int end() throws IOException {
            if (failure != null) {
                throw new IOException("the evidence bundle could not be completed", failure);
            }
            return -1;
        }
    }
}
