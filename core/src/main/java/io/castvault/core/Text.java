package io.castvault.core;

/**
 * Client strings that are kept as they came: PostgreSQL's {@code text} cannot hold U+0000, and UTF-8 has no form
 * for an unpaired surrogate (a JSON escape such as {@code \uD800} decodes to one), which an encoder silently turns
 * into {@code ?}. Such a string is refused where it is read, not altered or failed on in the database.
 */
public final class Text {
    private Text() {
    }

    /** {@code value} (null stays null) when PostgreSQL and UTF-8 can keep it unchanged; else INVALID_INPUT naming {@code field}. */
    public static String requireStorable(String field, String value) {
        if (value != null && (value.indexOf('\0') >= 0 || hasUnpairedSurrogate(value))) {
            throw CastvaultException.invalid(field + " must not hold U+0000 or an unpaired surrogate (\\uD800-\\uDFFF)");
        }
        return value;
    }

    public static boolean hasUnpairedSurrogate(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
