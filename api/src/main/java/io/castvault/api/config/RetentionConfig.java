package io.castvault.api.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

@ConfigurationProperties("castvault.retention")
public record RetentionConfig(@NotNull Duration sweepInterval, @NotNull Duration abandonAfter) {
}
