package io.castvault.recording;

import java.util.UUID;

/** Told after a recording's sealing transaction committed (evidence writes the signed manifest then). */
@FunctionalInterface
public interface SealListener {
    SealListener NONE = (orgId, recordingId) -> { };

    void sealed(UUID orgId, UUID recordingId);
}
