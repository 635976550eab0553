package io.castvault.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ReportTest {
    private static final String README = "# Castvault\n\n## Benchmark\n\nintro\n\n"
            + Report.README_START + "\n\nold table\n\n" + Report.README_END + "\n\n## Tests\n\nrest\n";

    @Test
    void replacesOnlyTheTextBetweenTheMarkersAndIsStableWhenRepeated() {
        String once = Report.spliceInto(README, "| new | table |\n");
        assertEquals("# Castvault\n\n## Benchmark\n\nintro\n\n" + Report.README_START + "\n\n| new | table |\n\n"
                + Report.README_END + "\n\n## Tests\n\nrest\n", once);
        assertEquals(once, Report.spliceInto(once, "| new | table |"));
    }

    @Test
    void missingOrSwappedMarkersLeaveTheReadmeAlone() {
        assertNull(Report.spliceInto("# Castvault\n\nno markers\n", "x"));
        assertNull(Report.spliceInto(Report.README_END + "\n" + Report.README_START + "\n", "x"));
    }
}
