package io.castvault.db;

import io.castvault.core.model.RecordingStatus;

import java.util.UUID;

/** Optional filters of {@code list}; null means "any". */
public record RecordingFilter(UUID machineId, RecordingStatus status) {
}
