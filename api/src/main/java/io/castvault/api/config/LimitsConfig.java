package io.castvault.api.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

@ConfigurationProperties("castvault.limits")
public record LimitsConfig(
        @Min(1024) @Max(16 * 1024 * 1024) long maxChunkBytes,
        @Min(1024) @Max(96L * 1024 * 1024) long maxTranscriptBytes,
        // uploads in their object-store step at once; more answer 503 with Retry-After instead of queueing
        @Min(1) @Max(10_000) int maxInflightUploads) {
}
