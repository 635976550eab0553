package io.castvault.api.http;

import io.castvault.agentingest.AgentIngest;
import io.castvault.agentingest.RateLimitedException;
import io.castvault.api.ops.RequestTags;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
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
    private final AgentIngest ingest;
    private final ClientOrigin origin;
    private final long maxRequestBytes;

    public AgentController(AgentIngest ingest, ClientOrigin origin, HttpServerConfiguration server) {
        this.ingest = ingest;
        this.origin = origin;
        this.maxRequestBytes = server.getMaxRequestSize();
    }

    public record Reported(UUID sessionId, String status) {
    }

    @Post
    @Consumes({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN})
    public HttpResponse<Envelope> report(HttpRequest<?> request, @Body InputStream body) throws IOException {
        try (body) {
            if (request.getContentLength() > maxRequestBytes) {
                return closing(tooLarge());
            }
            AgentIngest.Ingested done = ingest.report(body, origin.address(request));
            RequestTags.bytes(request, done.transcriptBytes());
            return Envelope.created(new Reported(done.sessionId(), "completed"));
        } catch (RateLimitedException e) {
            return closing(RateLimitedHandler.response(e));
        } catch (CastvaultException e) {
            return closing(ContentLimit.exceeded(e) ? tooLarge() : CastvaultExceptionHandler.respond(request, e));
        }
    }

    private MutableHttpResponse<Envelope> tooLarge() {
        return Envelope.error(ErrorCode.PAYLOAD_TOO_LARGE, "the request body is larger than " + maxRequestBytes + " bytes");
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
