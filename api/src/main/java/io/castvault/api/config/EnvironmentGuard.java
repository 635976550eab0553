package io.castvault.api.config;

import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;

import java.util.HashMap;
import java.util.Map;

/** Applies {@link DeploymentEnvironment} before anything else starts (an eager bean: start-up fails here). */
@Context
@Requires(notEnv = "cli")
public final class EnvironmentGuard {
    public EnvironmentGuard(@Value("${castvault.env:production}") String env, AuthConfig auth, S3Config s3,
                            DatabaseConfig db) {
        Map<String, String> secrets = new HashMap<>();
        secrets.put("AUTH_JWT_SECRET", auth.jwtSecret());
        secrets.put("S3_ACCESS_KEY", s3.accessKey());
        secrets.put("S3_SECRET_KEY", s3.secretKey());
        secrets.put("DATABASE_PASSWORD", db.password());
        DeploymentEnvironment.check(env, secrets);
    }
}
