package io.castvault.api.config;

import io.castvault.db.DatabaseSettings;
import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;

@ConfigurationProperties("castvault.database")
public record DatabaseConfig(
        @NotBlank @Pattern(regexp = "jdbc:postgresql:.*", message = "DATABASE_URL must be a jdbc:postgresql: URL") String url,
        @NotBlank String user,
        String password,
        @Min(2) int poolSize) {

    public DatabaseSettings settings() {
        return new DatabaseSettings(url, user, password, poolSize);
    }
}
