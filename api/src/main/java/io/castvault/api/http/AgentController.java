package io.castvault.api.http;

import io.castvault.agentingest.AgentIngest;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.exceptions.ContentLengthExceededException;
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
                return tooLarge();
            }
            AgentIngest.Ingested done = ingest.report(body, origin.address(request));
            return Envelope.created(new Reported(done.sessionId(), "completed"));
        } catch (CastvaultException e) {
            // the framework cuts a body off at micronaut.server.max-request-size; that is a 413, not bad input
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof ContentLengthExceededException) {
                    return tooLarge();
                }
            }
            throw e;
        }
    }

    /**
     * The rest of an oversized body is never read, so the connection cannot carry another request (a client
     * that reused it would wait forever): it is closed after this answer.
     */
    private HttpResponse<Envelope> tooLarge() {
        return Envelope.error(ErrorCode.PAYLOAD_TOO_LARGE, "the request body is larger than " + maxRequestBytes + " bytes")
                .header(HttpHeaders.CONNECTION, "close");
    }
}
