package io.castvault.db;

import java.util.Set;

/** A machine found by its node-key hash, with the stored hash (for a constant-time check) and its org's features. */
public record NodeKeyMachine(MachineRow machine, byte[] nodeKeyHash, Set<String> orgFeatures) {
}
