package io.castvault.events;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** Seals the recording a gateway session names; the recording module implements it with its complete path. */
public interface RecordingSealer {
    /**
     * Seals the org's recording whose {@code gateway_session_id} is {@code gatewaySessionId} if it is still
     * active, with {@code endedAt} as its end. Returns that recording (sealed now or before), or empty when the
     * session names none. Throws {@code CastvaultException}/{@code StorageException} when a tier is unavailable.
     */
    Optional<UUID> sealIfActive(UUID orgId, String gatewaySessionId, Instant endedAt);
}
