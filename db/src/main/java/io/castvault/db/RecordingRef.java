package io.castvault.db;

import java.util.UUID;

/** A recording named across orgs, as the sweeper sees it. */
public record RecordingRef(UUID orgId, UUID id) {
}
