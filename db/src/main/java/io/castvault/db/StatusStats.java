package io.castvault.db;

import io.castvault.core.model.RecordingStatus;

/** Count and total duration of the recordings in one status. */
public record StatusStats(RecordingStatus status, long count, double totalDuration) {
}
