package io.castvault.db;

public record StatusStats(String status, long count, double totalDuration) {
}
