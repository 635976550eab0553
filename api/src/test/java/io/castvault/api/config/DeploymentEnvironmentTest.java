package io.castvault.api.config;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DeploymentEnvironmentTest {
    private static Map<String, String> own() {
        Map<String, String> m = new HashMap<>();
        m.put("AUTH_JWT_SECRET", "a-real-secret-of-this-deployment-0123456789");
        m.put("S3_ACCESS_KEY", "AKIAEXAMPLE");
        m.put("S3_SECRET_KEY", "real-s3-secret");
        m.put("DATABASE_PASSWORD", "real-db-password");
        return m;
    }

    @Test
    void productionNeedsEverySecretSetAndNotADevelopmentValue() {
        assertDoesNotThrow(() -> DeploymentEnvironment.check("production", own()));
        for (String variable : DeploymentEnvironment.DEVELOPMENT_SECRETS.keySet()) {
            Map<String, String> dev = own();
            dev.put(variable, DeploymentEnvironment.DEVELOPMENT_SECRETS.get(variable));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeploymentEnvironment.check("production", dev));
            assertEquals(true, e.getMessage().contains(variable + " is unset"), e.getMessage());
            Map<String, String> unset = own();
            unset.remove(variable);
            assertThrows(IllegalStateException.class, () -> DeploymentEnvironment.check("production", unset));
            unset.put(variable, "");
            assertThrows(IllegalStateException.class, () -> DeploymentEnvironment.check("production", unset));
        }
        IllegalStateException all = assertThrows(IllegalStateException.class,
                () -> DeploymentEnvironment.check("production", new HashMap<>(DeploymentEnvironment.DEVELOPMENT_SECRETS)));
        assertEquals(true, all.getMessage().contains("AUTH_JWT_SECRET, S3_ACCESS_KEY, S3_SECRET_KEY, DATABASE_PASSWORD are"), all.getMessage());
    }

    @Test
    void developmentAcceptsThemAndAnythingElseIsRefused() {
        assertDoesNotThrow(() -> DeploymentEnvironment.check("development", new HashMap<>(DeploymentEnvironment.DEVELOPMENT_SECRETS)));
        assertThrows(IllegalStateException.class, () -> DeploymentEnvironment.check("prod", own()));
    }
}
