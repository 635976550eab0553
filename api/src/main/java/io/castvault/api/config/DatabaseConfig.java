package io.castvault.api.config;

import io.castvault.db.DatabaseSettings;
import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.time.Duration;

@ConfigurationProperties("castvault.database")
public record DatabaseConfig(
        @NotBlank @Pattern(regexp = "jdbc:postgresql:.*", message = "DATABASE_URL must be a jdbc:postgresql: URL") String url,
        @NotBlank String user,
        String password,
        @Min(2) int poolSize,
        @NotNull Duration connectTimeout,
        @NotNull Duration statementTimeout,
        @NotNull Duration idleInTransactionTimeout,
        @NotNull Duration socketTimeout) {

    public DatabaseSettings settings() {
        return new DatabaseSettings(url, user, password, poolSize, connectTimeout, statementTimeout,
                idleInTransactionTimeout, socketTimeout);
    }
}
