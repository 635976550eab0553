package io.castvault.api.http;

import io.castvault.agentingest.AgentIngest;
import io.castvault.api.ops.RequestTags;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.recording.AuditService;
import io.castvault.recording.RequestContext;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.server.HttpServerConfiguration;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * {@code POST /api/asciicasts}: the stock asciinema 2.x client's {@code upload} (multipart field
 * {@code asciicast}, basic auth whose password is the install id = node key). Answers the way that client
 * reads: 201 with the URL as JSON {@code {url, message}} (it asks for JSON) or as plain text; errors as plain
 * text, which it prints after "Invalid asciicast:" (422) or replaces with its own message (401, 413).
 */
@Controller("/api/asciicasts")
@ExecuteOn(TaskExecutors.BLOCKING)
public class AsciicastController {
    private static final Logger LOG = LoggerFactory.getLogger(AsciicastController.class);
    /** Room for the multipart framing around the file: boundaries and part headers. */
    private static final long FRAMING_BYTES = 64 * 1024;

    private final AgentIngest ingest;
    private final ClientOrigin origin;
    private final AuditService audit;
    private final RequestContexts contexts;
    private final long maxUploadBytes;

    public AsciicastController(AgentIngest ingest, ClientOrigin origin, AuditService audit, RequestContexts contexts,
                               HttpServerConfiguration server) {
        this.ingest = ingest;
        this.origin = origin;
        this.audit = audit;
        this.contexts = contexts;
        this.maxUploadBytes = Math.min(server.getMaxRequestSize(), ingest.maxTranscriptBytes() + FRAMING_BYTES);
    }

    public record Uploaded(String url, String message) {
    }

    @Post(consumes = MediaType.MULTIPART_FORM_DATA)
    public HttpResponse<?> upload(HttpRequest<?> request, @Body InputStream body) {
        if (request.getContentLength() > maxUploadBytes) {
            return error(new CastvaultException(ErrorCode.PAYLOAD_TOO_LARGE, "the upload is " + request.getContentLength()
                    + " bytes; a recording may have at most " + ingest.maxTranscriptBytes()));
        }
        AgentIngest.Ingested done;
        RequestContext context = contexts.of(request);
        String contentType = request.getHeaders().get(HttpHeaders.CONTENT_TYPE);
        try {
            done = ingest.asciicast(installId(request), () -> MultipartField.open(body, contentType, "asciicast"), context);
        } catch (CastvaultException e) {
            AgentController.recordRefusal(audit, context, "asciinema_upload", e);
            return error(ContentLimit.exceeded(e) ? tooLarge() : e);
        } catch (IOException e) {
            return error(ContentLimit.exceeded(e) ? tooLarge() : CastvaultException.invalid("the upload could not be read"));
        }
        RequestTags.bytes(request, done.transcriptBytes());
        String url = origin.baseUrl(request) + done.castPath();
        MutableHttpResponse<Object> created = HttpResponse.status(HttpStatus.CREATED).header(HttpHeaders.LOCATION, url);
        if (request.accept().stream().anyMatch(MediaType.APPLICATION_JSON_TYPE::matches)) {
            return created.contentType(MediaType.APPLICATION_JSON_TYPE).body(new Uploaded(url,
                    "Stored as session " + done.sessionId() + ". Download it (with a bearer token) from:\n\n    "
                            + url + "\n"));
        }
        return created.contentType(MediaType.TEXT_PLAIN_TYPE).body(url);
    }

    /** The basic-auth password; the user name is whatever $USER was on the recording machine. */
    private static String installId(HttpRequest<?> request) {
        String header = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon < 0 ? null : decoded.substring(colon + 1);
    }

    private CastvaultException tooLarge() {
        return new CastvaultException(ErrorCode.PAYLOAD_TOO_LARGE, "the upload is larger than " + maxUploadBytes
                + " bytes; a recording may have at most " + ingest.maxTranscriptBytes());
    }

    /**
     * Errors may leave part of the body unread, and an unread body cannot be followed by another request on the
     * same connection: every error closes it (after the answer, see {@link LingeringClose}).
     */
    private static MutableHttpResponse<String> error(CastvaultException e) {
        if (e.code().httpStatus() >= 500) {
            LOG.warn("asciicast upload: {} {}", e.code(), e.getMessage(), e.getCause());
        }
        int status = e.code() == ErrorCode.INVALID_INPUT ? 422 : e.code().httpStatus();
        MutableHttpResponse<String> response = HttpResponse.<String>status(HttpStatus.valueOf(status))
                .contentType(MediaType.TEXT_PLAIN_TYPE).body(e.getMessage());
        String retryAfter = Envelope.retryAfter(e);
        if (retryAfter != null) {
            response.header(HttpHeaders.RETRY_AFTER, retryAfter);
        }
        return response.header(HttpHeaders.CONNECTION, "close");
    }
}
