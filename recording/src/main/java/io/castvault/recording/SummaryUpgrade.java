package io.castvault.recording;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;

/**
 * Brings a summary document (recording.json) written before numbers and gaps were bounded to today's shape as it
 * is read. Such a summary may list every missing chunk index ({@code [2, 3, ..., 999999]}, now ranges
 * {@code [[2, 999999]]}) and may hold a duration of {@code "Infinity"} or {@code "NaN"} (how Jackson wrote a
 * non-finite double; now refused where it is parsed). The rows were repaired by migrations V3 and V12; the stored
 * object cannot be: evidence manifests vouch for its exact bytes, so it is translated on every read instead.
 */
final class SummaryUpgrade {
    /** The summary's only fractional number, the one field a non-finite double could have reached. */
    private static final String DURATION = "duration_seconds";

    private SummaryUpgrade() {
    }

    /** The summary, just read, changed in place to how the current code writes it. */
    static JsonNode apply(JsonNode stored) {
        if (!(stored instanceof ObjectNode summary)) {
            return stored;
        }
        if (nonFinite(summary.get(DURATION))) {
            // unknown, as for a row whose duration V3 repaired
            summary.putNull(DURATION);
        }
        JsonNode missing = summary.get("missing_chunks");
        if (isFlat(missing)) {
            summary.set("missing_chunks", ranges(missing));
        }
        return summary;
    }

    /** How Jackson wrote a non-finite double (a parser refuses the bare tokens, so only strings are stored). */
    private static boolean nonFinite(JsonNode value) {
        if (value == null || !value.isTextual()) {
            return false;
        }
        String text = value.asText();
        return text.equals("Infinity") || text.equals("-Infinity") || text.equals("NaN");
    }

    /** The old form: a non-empty array of indexes (an empty array means the same in both forms). */
    private static boolean isFlat(JsonNode missing) {
        if (missing == null || !missing.isArray() || missing.isEmpty()) {
            return false;
        }
        for (JsonNode n : missing) {
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) {
                return false;
            }
        }
        return true;
    }

    /** Consecutive indexes as one inclusive range each, in order; duplicates count once. */
    static ArrayNode ranges(JsonNode indexes) {
        // an int array, not boxed integers: an old summary may list a million indexes
        int[] sorted = new int[indexes.size()];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = indexes.get(i).intValue();
        }
        Arrays.sort(sorted);
        ArrayNode ranges = Json.MAPPER.createArrayNode();
        int i = 0;
        while (i < sorted.length) {
            int first = sorted[i];
            int last = first;
            while (++i < sorted.length && sorted[i] <= last + 1) {
                last = sorted[i];
            }
            ranges.addArray().add(first).add(last);
        }
        return ranges;
    }
}
