package io.castvault.recording;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.db.AuditEntry;
import io.castvault.db.AuditLog;
import io.castvault.db.LegalHoldQueries;
import io.castvault.db.OrgSettings;
import io.castvault.db.RecordingRef;
import io.castvault.db.SettingsQueries;
import io.castvault.db.Tx;

import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Audit entries of changes, written inside the transaction of the change (so a change never commits without
 * its entry, and an entry never survives a rolled-back change). Each lifecycle step calls one of these in
 * one line; reads and refusals go through {@link AuditService} instead.
 */
public final class Audit {
    public static final String USER = "user";
    public static final String MACHINE = "machine";
    public static final String SYSTEM = "system";
    public static final String ANONYMOUS = "anonymous";
    public static final String OPERATOR = "operator-cli";

    private Audit() {
    }

    /** What an entry is about. */
    public record Target(String type, UUID id) {
        public static final Target NONE = new Target(null, null);
        public static final Target SETTINGS = new Target("settings", null);
        public static final Target AUDIT = new Target("audit", null);

        public static Target recording(UUID id) {
            return id == null ? NONE : new Target("recording", id);
        }

        public static Target machine(UUID id) {
            return new Target("machine", id);
        }
    }

    public static void change(Tx tx, Caller caller, String action, Target target, ObjectNode details) {
        RequestContext r = caller.request();
        AuditLog.append(tx, new AuditEntry(caller.orgId(), USER, caller.userId(), null, action, target.type(), target.id(),
                AuditEntry.OK, r.sourceIp(), r.userAgent(), r.requestId(), json(details)));
    }

    /**
     * The entry of an allowed read: in the transaction that did the reading ({@code list}, one transaction instead
     * of two on the hottest read; a failed read rolls its entry back with it), or in a short one of its own
     * ({@link AuditService#read}). Committed without waiting for the WAL flush (see {@link AuditLog#appendUnflushed}).
     */
    public static void read(Tx tx, Caller caller, String action, Target target, ObjectNode details) {
        AuditLog.appendUnflushed(tx, readEntry(caller, action, target, details));
    }

    /** The entry {@link #read} appends, for a read that appends it in its own statement ({@code list}). */
    static AuditEntry readEntry(Caller caller, String action, Target target, ObjectNode details) {
        RequestContext r = caller.request();
        return new AuditEntry(caller.orgId(), USER, caller.userId(), null, action, target.type(), target.id(),
                AuditEntry.OK, r.sourceIp(), r.userAgent(), r.requestId(), json(details));
    }

    public static void system(Tx tx, UUID orgId, String action, Target target, ObjectNode details) {
        AuditLog.append(tx, new AuditEntry(orgId, SYSTEM, null, SYSTEM, action, target.type(), target.id(), AuditEntry.OK,
                null, null, null, json(details)));
    }

    public static void machine(Tx tx, UUID orgId, UUID machineId, RequestContext r, String action, Target target,
                               ObjectNode details) {
        AuditLog.append(tx, new AuditEntry(orgId, MACHINE, machineId, null, action, target.type(), target.id(),
                AuditEntry.OK, r.sourceIp(), r.userAgent(), r.requestId(), json(details)));
    }

    /** The operator CLI acts with the database's credentials, not as a user: its entries are by the system. */
    public static void operator(Tx tx, UUID orgId, String action, Target target, ObjectNode details) {
        AuditLog.append(tx, new AuditEntry(orgId, SYSTEM, null, OPERATOR, action, target.type(), target.id(),
                AuditEntry.OK, null, null, null, json(details)));
    }

    public static void machineAdded(Tx tx, UUID orgId, UUID machineId, String name) {
        ObjectNode d = Json.MAPPER.createObjectNode();
        d.put("name", name);
        operator(tx, orgId, "add_machine", Target.machine(machineId), d);
    }

    /**
     * The machine of {@code orgId} was deleted. Appended after the deletion, which detaches the machine's recordings
     * (their rows and status counters change), like every change of recordings: rows first, the chain's lock last.
     */
    public static void machineDeleted(Tx tx, UUID orgId, UUID machineId) {
        operator(tx, orgId, "delete_machine", Target.machine(machineId), null);
    }

    // --- the lifecycle's hooks ------------------------------------------------------------------------------

    public static void started(Tx tx, Caller caller, UUID sessionId, UUID machineId, String sessionType) {
        ObjectNode d = Json.MAPPER.createObjectNode();
        d.put("machine_id", machineId.toString());
        d.put("session_type", sessionType);
        change(tx, caller, "start", Target.recording(sessionId), d);
    }

    public static void keyRotated(Tx tx, Caller caller, String previousFingerprint, String fingerprint) {
        ObjectNode d = Json.MAPPER.createObjectNode();
        d.put("previous_fingerprint", previousFingerprint);
        d.put("fingerprint", fingerprint);
        change(tx, caller, "rotate_signing_key", Target.NONE, d);
    }

    /** complete: individual uploads are not entries, so this one says what arrived (count, first and last chunk). */
    public static void completed(Tx tx, Caller caller, UUID sessionId) {
        change(tx, caller, "complete", Target.recording(sessionId), chunkDetails(tx, sessionId));
    }

    public static void autoCompleted(Tx tx, UUID orgId, UUID sessionId) {
        system(tx, orgId, "auto_complete", Target.recording(sessionId), chunkDetails(tx, sessionId));
    }

    public static void uploaded(Tx tx, UUID orgId, UUID machineId, RequestContext r, String action, UUID sessionId,
                                long bytes) {
        ObjectNode d = Json.MAPPER.createObjectNode();
        d.put("bytes", bytes);
        machine(tx, orgId, machineId, r, action, Target.recording(sessionId), d);
    }

    /**
     * delete, once the recording is marked. After the mark, not before: every transaction that both changes a
     * recording's status and appends to the audit chain does the row change first, so none holds the chain's lock
     * while waiting for a row (or the status counters) another holds while waiting for the chain: a delete that
     * took the lock first deadlocked with the sweep's marking (PostgreSQL log of CrashKillIT).
     */
    public static void deleting(Tx tx, Caller caller, UUID sessionId) {
        change(tx, caller, "delete", Target.recording(sessionId), null);
    }

    /**
     * Retention removed these recordings: one {@code retention_delete} entry each, by {@code system}
     * for the sweeper or by the admin who ran {@code cleanup}. Returns how many were removed.
     */
    public static int expired(Tx tx, Caller cleanupBy, List<RecordingRef> removed) {
        // one org's chain after another: two sweepers (instances) take the chains' locks in the same order
        List<RecordingRef> sorted = removed.stream().sorted(Comparator.comparing(RecordingRef::orgId)).toList();
        AuditEntry template;
        if (cleanupBy == null) {
            template = new AuditEntry(null, SYSTEM, null, SYSTEM, "retention_delete", "recording", null, AuditEntry.OK,
                    null, null, null, json(null));
        } else {
            RequestContext r = cleanupBy.request();
            template = new AuditEntry(null, USER, cleanupBy.userId(), null, "retention_delete", "recording", null,
                    AuditEntry.OK, r.sourceIp(), r.userAgent(), r.requestId(), json(null));
        }
        AuditLog.appendEach(tx, template, sorted.stream().map(RecordingRef::orgId).toList(),
                sorted.stream().map(RecordingRef::id).toList());
        return removed.size();
    }

    /** The settings an entry shows before and after a change (never any secret). */
    public static ObjectNode settings(Tx tx) {
        OrgSettings s = SettingsQueries.get(tx);
        var policy = LegalHoldQueries.policy(tx);
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("recording_enabled", s.recordingEnabled());
        o.put("retention_days", s.retentionDays());
        o.put("storage_mode", s.storageMode());
        o.put("audit_retention_days", policy.auditRetentionDays());
        o.put("legal_hold", policy.legalHold());
        return o;
    }

    public static void settingsChanged(Tx tx, Caller caller, ObjectNode before) {
        ObjectNode d = Json.MAPPER.createObjectNode();
        d.set("before", before);
        d.set("after", settings(tx));
        change(tx, caller, "update_settings", Target.SETTINGS, d);
    }

    private static ObjectNode chunkDetails(Tx tx, UUID sessionId) {
        AuditLog.ChunkSpan span = AuditLog.chunkSpan(tx, sessionId);
        ObjectNode d = Json.MAPPER.createObjectNode();
        d.put("chunk_count", span.count());
        if (span.count() > 0) {
            d.put("first_chunk_index", span.firstIndex());
            d.put("last_chunk_index", span.lastIndex());
            d.put("first_chunk_at", span.firstAt().toString());
            d.put("last_chunk_at", span.lastAt().toString());
        }
        return d;
    }

    static String json(ObjectNode details) {
        return details == null ? "{}" : details.toString();
    }
}
