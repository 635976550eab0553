package io.castvault.core;

import java.util.UUID;
import java.util.regex.Pattern;

/** Parses client-supplied identifiers before anything else touches them. */
public final class Ids {
    // UUID.fromString accepts short forms such as "1-1-1-1-1"; only the canonical 8-4-4-4-12 form is an id here.
    private static final Pattern CANONICAL =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private Ids() {
    }

    public static UUID parse(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw CastvaultException.missing(field);
        }
        if (!CANONICAL.matcher(value).matches()) {
            throw CastvaultException.invalid(field + " must be a UUID");
        }
        return UUID.fromString(value);
    }
}
