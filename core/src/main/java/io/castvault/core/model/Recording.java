package io.castvault.core.model;

import java.time.Instant;
import java.util.UUID;

/**
 * A recording as reads return it: the row, its machine's name (null once the machine is deleted), and the
 * chunks received so far. {@code sealed}: its download is the one object recording.cast. The hold is the
 * recording's own (the org-wide hold is in the settings). {@code customStore}: its objects are in the org's own
 * bucket, the store it was started in (issue 18), rather than the platform's.
 */
public record Recording(UUID id, UUID orgId, UUID machineId, UUID userId, String sessionType, RecordingStatus status,
                        Instant startedAt, Instant endedAt, Double durationSeconds, String metadataJson,
                        String r2Key, String machineName, long chunkCount, long byteCount, boolean sealed,
                        boolean legalHold, String legalHoldReason, boolean customStore) {
}
