package io.castvault.api.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.Min;
import io.micronaut.core.annotation.Nullable;
import jakarta.validation.constraints.NotNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Agent ingest: how long a node-key lookup may be served from cache should a change notification be lost, and
 * how many failed authentications an address may make ({@code authFailureBurst} at once, then one per
 * {@code authFailureRefill}), and where transcripts are spooled while they arrive.
 */
@ConfigurationProperties("castvault.agent")
public record AgentConfig(@NotNull Duration nodeKeyCacheTtl, @Min(1) int authFailureBurst,
                          @NotNull Duration authFailureRefill, @Nullable String spoolDirectory) {

    public Path spoolPath() {
        return spoolDirectory == null || spoolDirectory.isBlank() ? Path.of(System.getProperty("java.io.tmpdir"))
                : Path.of(spoolDirectory);
    }
}
