package io.castvault.recording;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Times;
import io.castvault.db.AuditEntry;
import io.castvault.db.AuditFilter;
import io.castvault.db.AuditLog;
import io.castvault.db.AuditRow;
import io.castvault.db.Database;
import io.castvault.db.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.UUID;

/**
 * The audit trail's reads (the {@code audit} action, the export, {@code verify_audit}), the entries of reads
 * and refusals (each in its own short transaction, where the request is handled), and the retention pruning.
 */
public final class AuditService {
    private static final Logger LOG = LoggerFactory.getLogger(AuditService.class);
    public static final int DEFAULT_PAGE = 50;
    public static final int MAX_PAGE = 500;
    private static final int EXPORT_PAGE = 500;

    private final Database db;

    public AuditService(Database db) {
        this.db = db;
    }

    public record Page(List<ObjectNode> entries, String nextCursor) {
    }

    /** An allowed read (get, list, a download, a presigned link): recorded after it succeeded. */
    public void read(Caller caller, String action, Audit.Target target, Map<String, ?> details) {
        ObjectNode d = details == null ? null : Json.MAPPER.valueToTree(details);
        db.inOrg(caller.orgId(), tx -> {
            Audit.read(tx, caller, action, target, d);
            return null;
        });
    }

    /**
     * A refused request, recorded with its error code as the outcome. {@code orgId} is the org the request
     * named once the caller was authenticated; null when no org can be believed (a bad token or node key).
     * A failure to record is logged and does not replace the refusal the client gets.
     */
    public void refused(UUID orgId, String actorType, UUID actorId, RequestContext r, String action, Audit.Target target,
                        ErrorCode code, String message) {
        ObjectNode d = Json.MAPPER.createObjectNode();
        if (message != null) {
            d.put("message", message.length() > 300 ? message.substring(0, 300) : message);
        }
        AuditEntry entry = new AuditEntry(orgId, actorType, actorId, null, action, target.type(), target.id(),
                code.name(), r.sourceIp(), r.userAgent(), r.requestId(), d.toString());
        try {
            if (orgId == null) {
                db.acrossOrgs(tx -> AuditLog.appendUnflushed(tx, entry));
            } else {
                db.inOrg(orgId, tx -> AuditLog.appendUnflushed(tx, entry));
            }
        } catch (RuntimeException e) {
            LOG.warn("could not record refused {} ({}): {}", action, code, e.getMessage());
        }
    }

    public Page page(Caller caller, AuditFilter filter, int limit, String cursor) {
        caller.requireRole(Role.ADMIN, Role.AUDITOR);
        AuditLog.Cursor after = cursor == null ? null : decode(cursor);
        List<AuditRow> rows = db.inOrg(caller.orgId(), tx -> AuditLog.page(tx, filter, limit + 1, after));
        String next = null;
        if (rows.size() > limit) {
            rows = rows.subList(0, limit);
            AuditRow last = rows.get(limit - 1);
            next = encode(new AuditLog.Cursor(last.occurredAt(), last.id()));
        }
        return new Page(rows.stream().map(AuditService::view).toList(), next);
    }

    /**
     * Every matching entry, newest first, fetched in keyset pages each in its own short transaction, so an
     * export of any range holds neither a transaction nor the whole result while the client reads.
     */
    public Iterator<AuditRow> export(Caller caller, AuditFilter filter) {
        caller.requireRole(Role.ADMIN, Role.AUDITOR);
        return new Iterator<>() {
            private List<AuditRow> page = db.inOrg(caller.orgId(), tx -> AuditLog.page(tx, filter, EXPORT_PAGE, null));
            private int next;

            @Override
            public boolean hasNext() {
                if (next < page.size()) {
                    return true;
                }
                if (page.size() < EXPORT_PAGE) {
                    return false;
                }
                AuditRow last = page.get(page.size() - 1);
                AuditLog.Cursor after = new AuditLog.Cursor(last.occurredAt(), last.id());
                page = db.inOrg(caller.orgId(), tx -> AuditLog.page(tx, filter, EXPORT_PAGE, after));
                next = 0;
                return !page.isEmpty();
            }

            @Override
            public AuditRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return page.get(next++);
            }
        };
    }

    public AuditLog.Verification verify(Caller caller) {
        caller.requireRole(Role.ADMIN, Role.AUDITOR);
        return db.inOrg(caller.orgId(), AuditLog::verify);
    }

    /** Prunes every chain past its org's audit retention; each org in its own transaction. */
    public List<AuditLog.Pruned> prune() {
        List<AuditLog.Pruned> done = new ArrayList<>();
        for (UUID org : db.acrossOrgs(AuditLog::orgsWithOldEntries)) {
            try {
                Optional<AuditLog.Pruned> pruned = org == null ? db.acrossOrgs(tx -> AuditLog.prune(tx, null))
                        : db.inOrg(org, tx -> AuditLog.prune(tx, org));
                pruned.ifPresent(done::add);
            } catch (RuntimeException e) {
                LOG.warn("could not prune the audit trail of org {}: {}", org, e.getMessage());
            }
        }
        if (!done.isEmpty()) {
            LOG.info("audit pruning: {}", done);
        }
        return done;
    }

    public static ObjectNode view(AuditRow r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", r.id());
        o.put("occurred_at", r.occurredAt().toString());
        ObjectNode actor = o.putObject("actor");
        actor.put("type", r.actorType());
        actor.put("id", r.actorId() == null ? null : r.actorId().toString());
        actor.put("name", r.actorName());
        o.put("action", r.action());
        ObjectNode target = o.putObject("target");
        target.put("type", r.targetType());
        target.put("id", r.targetId() == null ? null : r.targetId().toString());
        o.put("outcome", r.outcome());
        o.put("source_ip", r.sourceIp());
        o.put("user_agent", r.userAgent());
        o.put("request_id", r.requestId());
        o.set("details", Json.parseObject(r.detailsJson()));
        return o;
    }


    static String encode(AuditLog.Cursor c) {
        long micros = Times.epochMicros(c.occurredAt());
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((micros + ":" + c.id()).getBytes(StandardCharsets.US_ASCII));
    }

    static AuditLog.Cursor decode(String cursor) {
        try {
            if (cursor.length() > 64) {
                throw new IllegalArgumentException();
            }
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
            int colon = text.indexOf(':');
            long micros = Long.parseLong(text.substring(0, colon));
            long id = Long.parseLong(text.substring(colon + 1));
            return new AuditLog.Cursor(Times.ofEpochMicros(micros), id);
        } catch (RuntimeException e) {
            throw new CastvaultException(ErrorCode.INVALID_INPUT, "cursor is not one this service issued");
        }
    }
}
