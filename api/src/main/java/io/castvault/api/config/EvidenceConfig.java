package io.castvault.api.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.time.Duration;

/**
 * Evidence (issue 14): the master key that encrypts signing keys (CASTVAULT_MASTER_KEY), how often a digest may be
 * written (DIGEST_INTERVAL), how often the job looks, and where development keeps a generated master key.
 * {@code env} is CASTVAULT_ENV: only {@code development} may run without a master key.
 */
@ConfigurationProperties("castvault.evidence")
public record EvidenceConfig(@Nullable String masterKey,
                             @NotNull Duration digestInterval,
                             @NotNull Duration digestCheck,
                             @NotBlank @Pattern(regexp = "production|development") String env,
                             @NotBlank String dataDir) {
    public boolean development() {
        return "development".equals(env);
    }
}
