package io.castvault.db;

import java.util.UUID;

public record MachineRow(UUID id, UUID orgId, String name, UUID ownerId) {
}
