package io.castvault.api.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import java.time.Duration;

@ConfigurationProperties("castvault.auth")
public record AuthConfig(
        @NotNull @Size(min = 32, message = "AUTH_JWT_SECRET must be at least 32 bytes") String jwtSecret,
        @NotNull Duration membershipCacheTtl,
        @NotNull Duration jwtMaxLifetime) {
}
