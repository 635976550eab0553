package io.castvault.agentingest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.CastParser;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.NodeKeyMachine;
import io.castvault.db.OrgQueries;
import io.castvault.recording.RequestContext;
import io.castvault.recording.Recordings;
import io.castvault.recording.Sealing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/**
 * Machines sending whole recordings in one step: the node-key report ({@code POST /api/session-recording-agent})
 * and the stock asciinema client's upload ({@code POST /api/asciicasts}). The transcript is validated and spooled
 * to a temporary file as it arrives, then stored as the recording's only chunk, so memory stays flat whatever
 * its size. Failed authentications count against the source address.
 */
public final class AgentIngest {
    private static final int MAX_KEY_CHARS = 256;

    /** {@code transcriptBytes}: the size of the stored transcript, for the service's byte counters. */
    public record Ingested(UUID orgId, UUID sessionId, long transcriptBytes) {
        public String castPath() {
            return Recordings.castPath(orgId, sessionId);
        }
    }

    private final NodeKeyDirectory keys;
    private final FailedAuthLimiter limiter;
    private final Recordings recordings;
    private final Sealing sealing;
    private final long maxTranscriptBytes;
    private final Path spoolDirectory;

    public AgentIngest(NodeKeyDirectory keys, FailedAuthLimiter limiter, Recordings recordings, Sealing sealing,
                       long maxTranscriptBytes, Path spoolDirectory) {
        this.keys = keys;
        this.limiter = limiter;
        this.recordings = recordings;
        this.sealing = sealing;
        this.maxTranscriptBytes = maxTranscriptBytes;
        this.spoolDirectory = spoolDirectory;
    }

    public long maxTranscriptBytes() {
        return maxTranscriptBytes;
    }

    /**
     * A JSON report {@code {node_key, session_type, session_data: {transcript, duration_seconds?}}}, read from
     * the stream. When {@code node_key} comes before the transcript, a bad key is refused before the transcript
     * is read.
     */
    public Ingested report(InputStream body, RequestContext request) {
        String sourceAddress = request.sourceIp();
        limiter.check(sourceAddress);
        JsonStream json = new JsonStream(CastSpooler.utf8(body));
        try (CastSpooler spool = new CastSpooler(spoolDirectory, maxTranscriptBytes, false)) {
            NodeKeyMachine machine = null;
            String sessionType = null;
            Double duration = null;
            boolean sawTranscript = false;
            Set<String> seen = new HashSet<>();
            json.beginObject();
            for (String name; (name = json.nextName(MAX_KEY_CHARS)) != null; ) {
                requireUnique(seen, name);
                switch (name) {
                    case "node_key" -> machine = authenticate(nodeKey(json, sourceAddress), sourceAddress);
                    case "session_type" -> sessionType = json.nextIsNull() ? null : json.readString(64, "session_type");
                    case "session_data" -> {
                        if (json.nextIsNull()) {
                            break;
                        }
                        Set<String> seenData = new HashSet<>();
                        json.beginObject();
                        for (String field; (field = json.nextName(MAX_KEY_CHARS)) != null; ) {
                            requireUnique(seenData, "session_data." + field);
                            switch (field) {
                                case "transcript" -> {
                                    if (!json.nextIsNull()) {
                                        json.readString(spool, "session_data.transcript");
                                        sawTranscript = true;
                                    }
                                }
                                case "duration_seconds" -> duration = json.nextIsNull() ? null : duration(json);
                                default -> json.skipValue();
                            }
                        }
                    }
                    default -> json.skipValue();
                }
            }
            json.end();
            if (machine == null) {
                // a request without a key is a guess like any other: it spends the address's budget
                limiter.recordFailure(sourceAddress);
                throw CastvaultException.missing("node_key");
            }
            Recordings.requireSessionType(sessionType);
            if (!sawTranscript) {
                throw CastvaultException.missing("session_data.transcript");
            }
            return store(machine, sessionType, spool.finish(), duration, "agent", request, "agent_upload");
        } catch (UncheckedIOException e) {
            throw unreadable(e);
        }
    }

    /** Opens an upload's file; called only once its sender is authenticated. */
    @FunctionalInterface
    public interface UploadedFile {
        InputStream open() throws IOException;
    }

    /**
     * An asciicast v2 or v3 file uploaded by {@code asciinema upload}, whose install id is the node key. The key
     * is checked before any of the body is read: the file is opened (its multipart framing scanned) only then.
     */
    public Ingested asciicast(String nodeKey, UploadedFile upload, RequestContext request) throws IOException {
        String sourceAddress = request.sourceIp();
        limiter.check(sourceAddress);
        if (nodeKey == null || nodeKey.isEmpty()) {
            limiter.recordFailure(sourceAddress);
            throw new CastvaultException(ErrorCode.UNAUTHORIZED, "the install id (node key) is required as the basic-auth password");
        }
        NodeKeyMachine machine = authenticate(nodeKey, sourceAddress);
        try (InputStream file = upload.open();
             CastSpooler spool = new CastSpooler(spoolDirectory, maxTranscriptBytes, true)) {
            spool.copyFrom(CastSpooler.utf8(file));
            return store(machine, "asciinema", spool.finish(), null, "asciinema", request, "asciinema_upload");
        } catch (UncheckedIOException e) {
            throw unreadable(e);
        }
    }

    /** The report's {@code node_key}; a missing or malformed one counts as a failed authentication. */
    private String nodeKey(JsonStream json, String sourceAddress) {
        String key;
        try {
            key = json.nextIsNull() ? null : json.readString(MAX_KEY_CHARS, "node_key");
        } catch (CastvaultException e) {
            limiter.recordFailure(sourceAddress);
            throw new CastvaultException(ErrorCode.UNAUTHORIZED, "node_key must be a string of at most "
                    + MAX_KEY_CHARS + " characters");
        }
        if (key == null || key.isEmpty()) {
            limiter.recordFailure(sourceAddress);
            throw CastvaultException.missing("node_key");
        }
        return key;
    }

    private NodeKeyMachine authenticate(String nodeKey, String sourceAddress) {
        FailedAuthLimiter.Attempt attempt = limiter.attempt(sourceAddress);
        NodeKeyMachine machine = nodeKey.length() > MAX_KEY_CHARS ? null : keys.find(nodeKey).orElse(null);
        if (machine == null) {
            throw unknownKey();
        }
        attempt.succeeded();
        if (!machine.orgFeatures().contains(OrgQueries.RECORDING_FEATURE)) {
            throw new CastvaultException(ErrorCode.FEATURE_DISABLED, "the org does not have the session_recording feature");
        }
        recordings.requireRecordingEnabled(machine.machine().orgId());
        return machine;
    }

    private Ingested store(NodeKeyMachine found, String sessionType, CastSpooler.Spooled cast, Double duration,
                           String client, RequestContext request, String auditAction) {
        ObjectNode metadata = JsonNodeFactory.instance.objectNode();
        metadata.put("reported_by_agent", true);
        metadata.put("machine_name", found.machine().name());
        metadata.put("client", client);
        UUID orgId = found.machine().orgId();
        UUID id = sealing.sealIngested(orgId, found.machine().id(), found.machine().ownerId(), sessionType,
                metadata, cast.file(), cast.byteLength(), cast.sha256(), cast.summary(), duration, request, auditAction);
        return new Ingested(orgId, id, cast.byteLength());
    }

    private static Double duration(JsonStream json) {
        double d = json.readNumber("session_data.duration_seconds");
        if (!(d >= 0 && d <= CastParser.MAX_EVENT_SECONDS.doubleValue())) {
            throw CastvaultException.invalid("session_data.duration_seconds must be a number from 0 to "
                    + CastParser.MAX_EVENT_SECONDS);
        }
        return d;
    }

    private static void requireUnique(Set<String> seen, String name) {
        if (!seen.add(name)) {
            throw CastvaultException.invalid("duplicate field " + name);
        }
    }

    private static CastvaultException unknownKey() {
        return new CastvaultException(ErrorCode.UNAUTHORIZED, "unknown or revoked node key");
    }

    private static CastvaultException unreadable(UncheckedIOException e) {
        return new CastvaultException(ErrorCode.INVALID_INPUT, "the request body could not be read: "
                + e.getCause().getMessage(), e);
    }
}
