package io.castvault.api.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;

@ConfigurationProperties("castvault.network")
public record NetworkConfig(@Nullable String trustedProxies) {
}
