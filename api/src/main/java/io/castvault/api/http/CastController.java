package io.castvault.api.http;

import io.castvault.api.auth.BearerAuth;
import io.castvault.core.CastvaultException;
import io.castvault.core.Ids;
import io.castvault.recording.Audit;
import io.castvault.recording.AuditService;
import io.castvault.recording.Caller;
import io.castvault.recording.RequestContext;
import io.castvault.recording.CastDownloads;
import io.castvault.recording.Recordings;
import io.castvault.storage.ByteRange;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET|HEAD /api/session-recording/{org}/{session}/cast}: the recording as one asciicast v2 file. A sealed
 * recording is served from its one object with its length, {@code ETag} = {@code recording_sha256} and single
 * {@code Range} requests (206, 416); an active one is assembled while streaming.
 */
@Controller("/api/session-recording")
@ExecuteOn(TaskExecutors.BLOCKING)
public class CastController {
    private static final MediaType CAST = MediaType.of(Recordings.CAST_CONTENT_TYPE);
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})");

    static final String CAST_DOWNLOAD = "cast_download";

    private final BearerAuth auth;
    private final CastDownloads downloads;
    private final AuditService audit;
    private final RequestContexts contexts;

    public CastController(BearerAuth auth, CastDownloads downloads, AuditService audit, RequestContexts contexts) {
        this.auth = auth;
        this.downloads = downloads;
        this.audit = audit;
        this.contexts = contexts;
    }

    /** Also answers HEAD ({@code @Get} registers the HEAD route), with the same headers and no body. */
    @Get("/{orgId}/{sessionId}/cast")
    public HttpResponse<?> cast(HttpRequest<?> request, String orgId, String sessionId) {
        return serve(request, orgId, sessionId, request.getMethod() != HttpMethod.HEAD);
    }

    private HttpResponse<?> serve(HttpRequest<?> request, String orgId, String sessionId, boolean body) {
        RequestContext context = contexts.of(request);
        UUID user = AuditedAuth.user(auth, audit, request, context);
        UUID org = Ids.parse("org_id", orgId);
        UUID session = Ids.parse("session_id", sessionId);
        Audit.Target target = Audit.Target.recording(session);
        CastDownloads.Cast cast;
        try {
            Caller caller = auth.caller(user, org).with(context);
            cast = downloads.describe(caller, session);
            if (body) {
                // a seeking player's ranged reads are each an entry: who read which part is the question asked
                String range = request.getHeaders().get(HttpHeaders.RANGE);
                audit.read(caller, CAST_DOWNLOAD, target, range == null ? null : Map.of("range", bounded(range)));
            }
        } catch (CastvaultException e) {
            audit.refused(org, Audit.USER, user, context, CAST_DOWNLOAD, target, e.code(), e.getMessage());
            throw e;
        }
        String etag = cast.sha256Hex() == null ? null : "\"" + cast.sha256Hex() + "\"";
        if (!cast.sealed()) {
            MutableHttpResponse<?> response = body
                    ? HttpResponse.ok(Download.ofUnknownLength(downloads.open(cast))).contentType(CAST)
                    : HttpResponse.ok().contentType(CAST);
            return headers(response, session, etag);
        }
        long length = cast.length();
        String rangeHeader = request.getHeaders().get(HttpHeaders.RANGE);
        String ifRange = request.getHeaders().get(HttpHeaders.IF_RANGE);
        if (rangeHeader != null && (ifRange == null || ifRange.equals(etag))) {
            Matcher m = RANGE.matcher(rangeHeader.trim());
            if (m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
                ByteRange range = range(m.group(1), m.group(2), length);
                if (range == null) {
                    return headers(HttpResponse.status(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                            .header(HttpHeaders.CONTENT_RANGE, "bytes */" + length), session, etag);
                }
                MutableHttpResponse<?> partial = body
                        ? HttpResponse.status(HttpStatus.PARTIAL_CONTENT)
                                .body(Download.of(downloads.open(cast, range), range.length())).contentType(CAST)
                        : HttpResponse.status(HttpStatus.PARTIAL_CONTENT).contentType(CAST)
                                .header(HttpHeaders.CONTENT_LENGTH, Long.toString(range.length()));
                return headers(partial.header(HttpHeaders.CONTENT_RANGE,
                        "bytes " + range.first() + "-" + range.last() + "/" + length), session, etag);
            }
            // several ranges or a form we do not serve: the whole file, as RFC 9110 allows
        }
        MutableHttpResponse<?> full = body
                ? HttpResponse.ok(Download.of(downloads.open(cast), length)).contentType(CAST)
                : HttpResponse.ok().contentType(CAST).header(HttpHeaders.CONTENT_LENGTH, Long.toString(length));
        return headers(full.header(HttpHeaders.ACCEPT_RANGES, "bytes"), session, etag);
    }

    private static String bounded(String header) {
        return header.length() <= 64 ? header : header.substring(0, 64);
    }

    /** {@code first-last}, {@code first-} or {@code -suffix}, clipped to the file; null when unsatisfiable. */
    private static ByteRange range(String first, String last, long length) {
        if (length == 0) {
            return null;
        }
        if (first.isEmpty()) {
            long suffix = Long.parseLong(last);
            return suffix == 0 ? null : new ByteRange(Math.max(0, length - suffix), length - 1);
        }
        long from = Long.parseLong(first);
        long to = last.isEmpty() ? length - 1 : Math.min(Long.parseLong(last), length - 1);
        if (from >= length || to < from) {
            return null;
        }
        return new ByteRange(from, to);
    }

    private static MutableHttpResponse<?> headers(MutableHttpResponse<?> response, UUID session, String etag) {
        response.header(HttpHeaders.CONTENT_DISPOSITION, "inline; filename=\"" + session + ".cast\"")
                .header(HttpHeaders.CACHE_CONTROL, "no-store");
        if (etag != null) {
            response.header(HttpHeaders.ETAG, etag);
        }
        return response;
    }
}
