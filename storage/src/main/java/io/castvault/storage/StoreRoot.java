package io.castvault.storage;

import java.util.regex.Pattern;

/**
 * The folder of a bucket under which a store keeps the usual {@link ObjectKey} layout: empty on the platform
 * store, the org's chosen {@code prefix} in a custom store. Only a few plain path segments are allowed, so a
 * prefix can never climb out of its folder or collide with another layout.
 */
public record StoreRoot(String value) {
    public static final StoreRoot NONE = new StoreRoot("");
    public static final int MAX_LENGTH = 256;
    private static final Pattern SEGMENTS = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]{0,62}/){1,8}");

    public StoreRoot {
        if (value == null || !value.isEmpty() && (value.length() > MAX_LENGTH || !SEGMENTS.matcher(value).matches()
                || value.contains("/../") || value.startsWith("../"))) {
            throw new IllegalArgumentException("prefix must be up to 8 path segments of letters, digits, '.', '_' "
                    + "or '-', " + MAX_LENGTH + " characters at most");
        }
    }

    /** {@code "a/b"}, {@code "a/b/"}, {@code ""} or null: the same root; surrounding slashes are not significant. */
    public static StoreRoot of(String prefix) {
        if (prefix == null) {
            return NONE;
        }
        String trimmed = prefix.strip();
        while (trimmed.startsWith("/")) {
            trimmed = trimmed.substring(1);
        }
        if (trimmed.isEmpty()) {
            return NONE;
        }
        return new StoreRoot(trimmed.endsWith("/") ? trimmed : trimmed + "/");
    }

    String wire(ObjectKey key) {
        return value + key.value();
    }

    String wire(ObjectKey.Prefix prefix) {
        return value + prefix.value();
    }

    String unwire(String wireKey) {
        if (!wireKey.startsWith(value)) {
            throw new IllegalStateException("listing under " + value + " returned " + wireKey);
        }
        return wireKey.substring(value.length());
    }
}
