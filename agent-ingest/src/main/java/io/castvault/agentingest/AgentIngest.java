package io.castvault.agentingest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.NodeKeyMachine;
import io.castvault.db.OrgQueries;
import io.castvault.recording.Recordings;
import io.castvault.recording.Sealing;

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

    public record Ingested(UUID orgId, UUID sessionId) {
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
    public Ingested report(InputStream body, String sourceAddress) {
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
                    case "node_key" -> {
                        String key = json.nextIsNull() ? null : json.readString(MAX_KEY_CHARS, "node_key");
                        if (key == null || key.isEmpty()) {
                            throw CastvaultException.missing("node_key");
                        }
                        machine = authenticate(key, sourceAddress);
                    }
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
                throw CastvaultException.missing("node_key");
            }
            Recordings.requireSessionType(sessionType);
            if (!sawTranscript) {
                throw CastvaultException.missing("session_data.transcript");
            }
            return store(machine, sessionType, spool.finish(), duration, "agent");
        } catch (UncheckedIOException e) {
            throw unreadable(e);
        }
    }

    /**
     * An asciicast v2 or v3 file uploaded by {@code asciinema upload}, whose install id is the node key. The key
     * is checked before the file is read.
     */
    public Ingested asciicast(String nodeKey, InputStream file, String sourceAddress) {
        limiter.check(sourceAddress);
        if (nodeKey == null || nodeKey.isEmpty()) {
            throw new CastvaultException(ErrorCode.UNAUTHORIZED, "the install id (node key) is required as the basic-auth password");
        }
        if (nodeKey.length() > MAX_KEY_CHARS) {
            limiter.recordFailure(sourceAddress);
            throw unknownKey();
        }
        NodeKeyMachine machine = authenticate(nodeKey, sourceAddress);
        try (CastSpooler spool = new CastSpooler(spoolDirectory, maxTranscriptBytes, true)) {
            spool.copyFrom(CastSpooler.utf8(file));
            return store(machine, "asciinema", spool.finish(), null, "asciinema");
        } catch (UncheckedIOException e) {
            throw unreadable(e);
        }
    }

    private NodeKeyMachine authenticate(String nodeKey, String sourceAddress) {
        NodeKeyMachine machine = keys.find(nodeKey).orElse(null);
        if (machine == null) {
            limiter.recordFailure(sourceAddress);
            throw unknownKey();
        }
        if (!machine.orgFeatures().contains(OrgQueries.RECORDING_FEATURE)) {
            throw new CastvaultException(ErrorCode.FEATURE_DISABLED, "the org does not have the session_recording feature");
        }
        recordings.requireRecordingEnabled(machine.machine().orgId());
        return machine;
    }

    private Ingested store(NodeKeyMachine found, String sessionType, CastSpooler.Spooled cast, Double duration,
                           String client) {
        ObjectNode metadata = JsonNodeFactory.instance.objectNode();
        metadata.put("reported_by_agent", true);
        metadata.put("machine_name", found.machine().name());
        metadata.put("client", client);
        UUID orgId = found.machine().orgId();
        UUID id = sealing.sealIngested(orgId, found.machine().id(), found.machine().ownerId(), sessionType,
                metadata, cast.file(), cast.byteLength(), cast.sha256(), cast.summary(), duration);
        return new Ingested(orgId, id);
    }

    private static Double duration(JsonStream json) {
        double d = json.readNumber("session_data.duration_seconds");
        if (!Double.isFinite(d) || d < 0) {
            throw CastvaultException.invalid("session_data.duration_seconds must be a non-negative number");
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
