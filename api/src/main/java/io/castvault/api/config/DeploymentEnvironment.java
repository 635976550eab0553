package io.castvault.api.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code CASTVAULT_ENV}: {@code production} (the default of the bare service) refuses to start with a secret that
 * is unset or equals one of the built-in development values, which are public (they are in this repository):
 * a deployment that forgot {@code AUTH_JWT_SECRET} must fail at start-up, not accept tokens anyone can mint.
 * {@code development} ({@code scripts/run}, the tests) accepts them.
 */
public final class DeploymentEnvironment {
    /** The development defaults of application.yml, by the variable that overrides each. */
    static final Map<String, String> DEVELOPMENT_SECRETS = Map.of(
            "AUTH_JWT_SECRET", "castvault-development-secret-change-me-0123456789",
            "S3_ACCESS_KEY", "castvault",
            "S3_SECRET_KEY", "castvault-dev-secret",
            "DATABASE_PASSWORD", "castvault");

    private DeploymentEnvironment() {
    }

    /**
     * @param env     the value of {@code CASTVAULT_ENV}
     * @param secrets the configured value of each variable of {@link #DEVELOPMENT_SECRETS}
     * @throws IllegalStateException naming every variable that must be set, or an unknown environment
     */
    public static void check(String env, Map<String, String> secrets) {
        if ("development".equals(env)) {
            return;
        }
        if (!"production".equals(env)) {
            throw new IllegalStateException("CASTVAULT_ENV must be \"production\" or \"development\", not \"" + env + "\"");
        }
        List<String> refused = new ArrayList<>();
        for (String variable : List.of("AUTH_JWT_SECRET", "S3_ACCESS_KEY", "S3_SECRET_KEY", "DATABASE_PASSWORD")) {
            String value = secrets.get(variable);
            if (value == null || value.isBlank() || value.equals(DEVELOPMENT_SECRETS.get(variable))) {
                refused.add(variable);
            }
        }
        if (!refused.isEmpty()) {
            throw new IllegalStateException("CASTVAULT_ENV=production: " + String.join(", ", refused)
                    + (refused.size() == 1 ? " is" : " are") + " unset or a built-in development value; set "
                    + (refused.size() == 1 ? "it" : "them") + " to this deployment's own secret"
                    + (refused.size() == 1 ? "" : "s") + " (or CASTVAULT_ENV=development on a development machine)");
        }
    }
}
