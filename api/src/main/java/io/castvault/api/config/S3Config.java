package io.castvault.api.config;

import io.castvault.storage.S3Settings;
import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.NotBlank;

import java.net.URI;

@ConfigurationProperties("castvault.s3")
public record S3Config(@NotBlank String endpoint, @NotBlank String region, @NotBlank String bucket,
                       @NotBlank String accessKey, @NotBlank String secretKey) {

    public S3Settings settings() {
        return new S3Settings(URI.create(endpoint), region, bucket, accessKey, secretKey);
    }
}
