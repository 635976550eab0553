package io.castvault.api.config;

import io.castvault.storage.S3Settings;
import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;

import java.net.URI;
import java.time.Duration;

@ConfigurationProperties("castvault.s3")
public record S3Config(@NotBlank String endpoint, @NotBlank String region, @NotBlank String bucket,
                       @NotBlank String accessKey, @NotBlank String secretKey,
                       @NotNull Duration attemptTimeout, @NotNull Duration callTimeout) {

    public S3Settings settings() {
        return new S3Settings(URI.create(endpoint), region, bucket, accessKey, secretKey, attemptTimeout, callTimeout);
    }
}
