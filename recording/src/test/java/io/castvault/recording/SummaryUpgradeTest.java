package io.castvault.recording;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 11: summaries written before the hardening read in today's shape. */
class SummaryUpgradeTest {

    @Test
    void aFlatListOfMissingIndexesBecomesRanges() {
        String million = IntStream.rangeClosed(2, 999_999).mapToObj(Integer::toString).collect(Collectors.joining(","));
        assertEquals("[[2,999999]]", upgraded("{\"missing_chunks\": [" + million + "]}").get("missing_chunks").toString());
        // unordered and repeated, as no writer did, still gives each gap once
        assertEquals("[[1,1],[3,5],[9,9]]", upgraded("{\"missing_chunks\": [9, 4, 3, 1, 5, 4]}").get("missing_chunks").toString());
    }

    @Test
    void aNonFiniteDurationBecomesNull() {
        for (String stored : new String[] {"\"Infinity\"", "\"-Infinity\"", "\"NaN\""}) {
            JsonNode s = upgraded("{\"duration_seconds\": " + stored + ", \"recording_bytes\": 12, \"recording_url\": \"NaN\"}");
            assertTrue(s.get("duration_seconds").isNull(), stored);
            assertEquals(12, s.get("recording_bytes").asInt());
            // a text field may say anything
            assertEquals("NaN", s.get("recording_url").asText());
        }
    }

    @Test
    void aCurrentSummaryIsReturnedAsItIs() {
        for (String current : new String[] {"{\"duration_seconds\": 12.5, \"missing_chunks\": [[1, 1], [3, 4]]}",
                "{\"duration_seconds\": 0, \"missing_chunks\": []}", "{}"}) {
            assertEquals(Json.parseObject(current), upgraded(current), current);
        }
    }

    private static JsonNode upgraded(String json) {
        return SummaryUpgrade.apply(Json.parseObject(json));
    }
}
