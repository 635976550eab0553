package io.castvault.api.http;

import io.castvault.agentingest.AgentIngest;
import io.castvault.api.ops.RequestTags;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.recording.Audit;
import io.castvault.recording.AuditService;
import io.castvault.recording.RequestContext;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.server.HttpServerConfiguration;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.io.IOException;
import java.io.InputStream;
import java.util.UUID;

/**
 * {@code POST /api/session-recording-agent}: a machine reports a whole recording with its node key
 * (CONTRACT.md §5). The body is read as a stream, so a large transcript never sits in memory.
 */
@Controller("/api/session-recording-agent")
@ExecuteOn(TaskExecutors.BLOCKING)
public class AgentController {
    static final String AGENT_UPLOAD = "agent_upload";

    private final AgentIngest ingest;
    private final AuditService audit;
    private final RequestContexts contexts;
    private final long maxBodyBytes;

    public AgentController(AgentIngest ingest, AuditService audit, RequestContexts contexts,
                           HttpServerConfiguration server) {
        this.ingest = ingest;
        this.audit = audit;
        this.contexts = contexts;
        // the largest transcript escaped as JSON at worst, plus the report around it; never above the server's
        // own cut-off, which with the default 64 MiB transcripts is the tighter of the two
        this.maxBodyBytes = Math.min(server.getMaxRequestSize(), JsonBodyLimit.around(ingest.maxTranscriptBytes()));
    }

    /**
     * A refused machine upload. The machine's org is not known here (and a bad key names none), so the entry
     * has no org: operators see these across orgs. A bad or missing node key is an {@code auth_failed}.
     */
    static void recordRefusal(AuditService audit, RequestContext context, String action, CastvaultException e) {
        String recorded = e.code() == ErrorCode.UNAUTHORIZED || e.code() == ErrorCode.RATE_LIMITED
                ? AuditedAuth.AUTH_FAILED : action;
        audit.refused(null, Audit.ANONYMOUS, null, context, recorded, Audit.Target.NONE, e.code(), e.getMessage());
    }

    public record Reported(UUID sessionId, String status) {
    }

    @Post
    @Consumes({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN})
    public HttpResponse<Envelope> report(HttpRequest<?> request, @Body InputStream body) throws IOException {
        RequestContext context = contexts.of(request);
        try (body) {
            if (request.getContentLength() > maxBodyBytes) {
                return closing(Envelope.error(request, tooLarge()));
            }
            // counted as it streams: a body without a Content-Length, or one that lies, stops at the limit too
            AgentIngest.Ingested done = ingest.report(new LimitedBody(body, maxBodyBytes), context);
            RequestTags.bytes(request, done.transcriptBytes());
            return Envelope.created(new Reported(done.sessionId(), "completed"));
        } catch (CastvaultException e) {
            // a rate-limited machine is recorded as a failed authentication, and its answer carries the wait
            recordRefusal(audit, context, AGENT_UPLOAD, e);
            return closing(Envelope.error(request, ContentLimit.exceeded(e) ? tooLarge() : e));
        }
    }

    private CastvaultException tooLarge() {
        return new CastvaultException(ErrorCode.PAYLOAD_TOO_LARGE, "the request body is larger than " + maxBodyBytes
                + " bytes");
    }

    /**
     * An error can come before the body was read to its end (a bad node key, a body over the limit), and the
     * rest of it would stand in front of the client's next request on this connection: it is closed after the
     * answer (see {@link LingeringClose}).
     */
    private static MutableHttpResponse<Envelope> closing(MutableHttpResponse<Envelope> response) {
        return response.header(HttpHeaders.CONNECTION, "close");
    }
}
