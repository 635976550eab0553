package io.castvault.db;

import java.util.Locale;
import java.util.Optional;

public enum Role {
    ADMIN, MEMBER, AUDITOR;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> parse(String value) {
        for (Role r : values()) {
            if (r.dbValue().equals(value)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
