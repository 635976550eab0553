package io.castvault.db;

/** The connection pool right now: connections lent out, idle, all, and threads waiting for one. */
public record PoolStats(int active, int idle, int total, int waiting, int max) {
}
