package io.castvault.api.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

@ConfigurationProperties("castvault.retention")
/**
 * The sweeper. {@code orphanGrace}: an object no row names is deleted only once it is this old (a put whose row is
 * about to commit must not lose its object); {@code orphanKeysPerRun} bounds each run's listing.
 */
public record RetentionConfig(@NotNull Duration sweepInterval, @NotNull Duration abandonAfter,
                              @NotNull Duration orphanGrace, @Min(1) @Max(1_000_000) int orphanKeysPerRun) {
}
