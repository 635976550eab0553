package io.castvault.db;

import java.util.UUID;

/** Optional filters of {@code list}; null means "any". */
public record RecordingFilter(UUID machineId, String status) {
}
