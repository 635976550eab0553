package io.castvault.core.model;

import java.util.Arrays;
import java.util.Optional;

/** Where a recording is in its life; {@link #dbValue()} is what the row and the API say. */
public enum RecordingStatus {
    ACTIVE("active"),
    COMPLETED("completed"),
    /** Its objects are being removed; hidden from every read until the row goes. */
    DELETING("deleting");

    private final String dbValue;

    RecordingStatus(String dbValue) {
        this.dbValue = dbValue;
    }

    public String dbValue() {
        return dbValue;
    }

    public static Optional<RecordingStatus> parse(String value) {
        return Arrays.stream(values()).filter(s -> s.dbValue.equals(value)).findFirst();
    }

    public static RecordingStatus of(String dbValue) {
        return parse(dbValue).orElseThrow(() -> new IllegalArgumentException("unknown recording status " + dbValue));
    }
}
