package io.castvault.bench;

import java.util.Locale;

/** Synthetic asciicast v2 content of an exact byte size (ASCII only, so bytes and chars agree). */
final class CastData {
    static final String HEADER = "{\"version\": 2, \"width\": 80, \"height\": 24}\n";
    private static final int LINE = 1024;
    private static final String SUFFIX = "\"]\n";

    private CastData() {
    }

    /** Event lines totalling exactly {@code size} bytes (at least 64), times starting at {@code start}. */
    static String events(int size, double start) {
        if (size < 64) {
            throw new IllegalArgumentException("size must be at least 64 bytes");
        }
        int lines = Math.max(1, size / LINE);
        StringBuilder sb = new StringBuilder(size);
        for (int k = 0; k < lines; k++) {
            int lineSize = k < lines - 1 ? LINE : size - (lines - 1) * LINE;
            String prefix = "[" + String.format(Locale.ROOT, "%.3f", start + k * 0.001) + ", \"o\", \"";
            int payload = lineSize - prefix.length() - SUFFIX.length();
            sb.append(prefix);
            for (int i = 0; i < payload; i++) {
                sb.append((char) ('a' + (i + k) % 26));
            }
            sb.append(SUFFIX);
        }
        return sb.toString();
    }

    /** A whole asciicast v2 file of exactly {@code size} bytes. */
    static String file(int size) {
        return HEADER + events(size - HEADER.length(), 0);
    }
}
