package io.castvault.api.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.castvault.api.auth.BearerAuth;
import io.castvault.core.CastvaultException;
import io.castvault.core.Ids;
import io.castvault.core.Text;
import io.castvault.db.AuditFilter;
import io.castvault.db.AuditRow;
import io.castvault.recording.Audit;
import io.castvault.recording.AuditService;
import io.castvault.recording.Caller;
import io.castvault.recording.RequestContext;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.server.types.files.StreamedFile;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;

/**
 * {@code GET /api/audit/{org}/export?format=csv|jsonl} with the {@code audit} action's filters: every matching
 * entry, newest first, streamed as it is fetched (keyset pages, see {@link AuditService#export}).
 */
@Controller("/api/audit")
@ExecuteOn(TaskExecutors.BLOCKING)
public class AuditExportController {
    static final String EXPORT = "audit_export";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final String CSV_HEADER = "id,occurred_at,actor_type,actor_id,actor_name,action,target_type,target_id,"
            + "outcome,source_ip,user_agent,request_id,details\n";

    private final BearerAuth auth;
    private final AuditService audit;
    private final RequestContexts contexts;

    public AuditExportController(BearerAuth auth, AuditService audit, RequestContexts contexts) {
        this.auth = auth;
        this.audit = audit;
        this.contexts = contexts;
    }

    @Get("/{orgId}/export")
    public HttpResponse<StreamedFile> export(HttpRequest<?> request, String orgId) {
        RequestContext context = contexts.of(request);
        UUID user = AuditedAuth.user(auth, audit, request, context);
        UUID org = Ids.parse("org_id", orgId);
        var params = request.getParameters();
        try {
            String format = params.get("format") == null ? "jsonl" : params.get("format");
            if (!format.equals("csv") && !format.equals("jsonl")) {
                throw CastvaultException.invalid("format must be \"csv\" or \"jsonl\"");
            }
            // the query's strings get the checks ActionRequest gives an action's string fields
            AuditFilter filter = SessionRecordingController.auditFilter(name -> Text.requireStorable(name, params.get(name)),
                    name -> params.get(name) == null || params.get(name).isEmpty() ? null : Ids.parse(name, params.get(name)));
            Caller caller = auth.caller(user, org).with(context);
            Iterator<AuditRow> rows = audit.export(caller, filter);
            audit.read(caller, EXPORT, Audit.Target.AUDIT, Map.of("format", format));
            boolean csv = format.equals("csv");
            MediaType type = csv ? MediaType.of("text/csv; charset=utf-8") : MediaType.of("application/x-ndjson");
            return HttpResponse.ok(new StreamedFile(new Lines(rows, csv), type))
                    .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"audit-" + org + "." + format + "\"")
                    .header(HttpHeaders.CACHE_CONTROL, "no-store");
        } catch (CastvaultException e) {
            audit.refused(org, Audit.USER, user, context, EXPORT, Audit.Target.AUDIT, e.code(), e.getMessage());
            throw e;
        }
    }

    /** The entries as lines, produced one entry at a time while the response is written. */
    static final class Lines extends InputStream {
        private final Iterator<AuditRow> rows;
        private final boolean csv;
        private byte[] current;
        private int pos;

        Lines(Iterator<AuditRow> rows, boolean csv) {
            this.rows = rows;
            this.csv = csv;
            this.current = csv ? CSV_HEADER.getBytes(StandardCharsets.UTF_8) : new byte[0];
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            while (pos >= current.length) {
                if (!rows.hasNext()) {
                    return -1;
                }
                current = line(rows.next()).getBytes(StandardCharsets.UTF_8);
                pos = 0;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }

        private String line(AuditRow r) {
            if (!csv) {
                try {
                    return MAPPER.writeValueAsString(AuditService.view(r)) + "\n";
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return String.join(",", Long.toString(r.id()), r.occurredAt().toString(), cell(r.actorType()),
                    cell(r.actorId()), cell(r.actorName()), cell(r.action()), cell(r.targetType()), cell(r.targetId()),
                    cell(r.outcome()), cell(r.sourceIp()), cell(r.userAgent()), cell(r.requestId()),
                    cell(r.detailsJson())) + "\n";
        }
    }

    /**
     * One CSV cell: quoted when needed, and a leading {@code = + - @} (which a spreadsheet would run as a formula,
     * and user agents and names are client-controlled) is defused with a quote mark.
     */
    static String cell(Object value) {
        if (value == null) {
            return "";
        }
        String s = value.toString();
        if (!s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0) {
            s = "'" + s;
        }
        if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }
}
