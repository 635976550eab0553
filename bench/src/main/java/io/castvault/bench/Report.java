package io.castvault.bench;

import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The table on stdout, results.json, RESULTS.md, and the same figures spliced into the root README between its
 * markers, so the README never quotes figures older than the last full run.
 */
final class Report {
    static final String README_START = "<!-- bench-results:start (written by scripts/bench) -->";
    static final String README_END = "<!-- bench-results:end -->";
    private static final String[] HEADINGS = {"scenario", "measure", "castvault", "raw limit", "ratio", "target", "met"};

    private final List<Section> sections;
    private final Map<String, Object> machine;
    private final String mode;
    private final Instant takenAt;

    Report(List<Section> sections, Map<String, Object> machine, String mode, Instant takenAt) {
        this.sections = sections;
        this.machine = machine;
        this.mode = mode;
        this.takenAt = takenAt;
    }

    private List<String[]> cells() {
        List<String[]> out = new ArrayList<>();
        for (Section s : sections) {
            if (s.rows.isEmpty()) {
                out.add(new String[] {s.name, s.status == Section.Status.FAILED ? "FAILED" : "not available", "", "", "", "", ""});
            }
            for (Section.Row r : s.rows) {
                out.add(new String[] {s.name, r.measure(), r.ours(), r.raw(), r.ratio() == null ? "" : String.format(java.util.Locale.ROOT, "%.2f", r.ratio()),
                        r.target(), r.met() == null ? "" : r.met() ? "yes" : "NO"});
            }
        }
        return out;
    }

    String table() {
        List<String[]> rows = cells();
        int[] width = new int[HEADINGS.length];
        for (int i = 0; i < HEADINGS.length; i++) {
            width[i] = HEADINGS[i].length();
            for (String[] r : rows) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        if ("quick".equals(mode)) {
            sb.append("quick run: sizes far too small for the targets; it proves every scenario still runs, nothing more\n\n");
        }
        line(sb, HEADINGS, width);
        String[] rule = new String[HEADINGS.length];
        for (int i = 0; i < rule.length; i++) {
            rule[i] = "-".repeat(width[i]);
        }
        line(sb, rule, width);
        rows.forEach(r -> line(sb, r, width));
        sb.append('\n');
        notes(sb, "");
        return sb.toString();
    }

    private static void line(StringBuilder sb, String[] cells, int[] width) {
        for (int i = 0; i < cells.length; i++) {
            sb.append(i == 0 ? "" : "  ").append(cells[i]).append(" ".repeat(width[i] - cells[i].length()));
        }
        sb.append('\n');
    }

    private void notes(StringBuilder sb, String bullet) {
        for (Section s : sections) {
            for (String n : s.notes) {
                sb.append(bullet).append(s.name).append(": ").append(n).append('\n');
            }
        }
    }

    private String markdownBody() {
        StringBuilder sb = new StringBuilder();
        sb.append("Taken ").append(DateTimeFormatter.ISO_LOCAL_DATE.format(takenAt.atZone(ZoneOffset.UTC)))
                .append(" with `scripts/bench` (").append(mode).append(" run); figures in `bench/results.json`.\n\n");
        sb.append("Machine: ").append(machine.get("cpu")).append(", ").append(machine.get("cores")).append(" cores, ")
                .append(machine.get("memory")).append("; service JVM ").append(machine.get("service_jvm"))
                .append(" (max heap ").append(machine.get("service_max_heap")).append("); S3: ").append(machine.get("s3_server"))
                .append("; ").append(machine.get("postgresql")).append(". Client, service, S3 server and database share the cores")
                .append("; load average ").append(machine.get("load_average_before")).append(" before, ")
                .append(machine.get("load_average_after")).append(" after (other work on the machine moves the figures).\n\n");
        sb.append("| ").append(String.join(" | ", HEADINGS)).append(" |\n");
        sb.append("|").append("---|".repeat(HEADINGS.length)).append('\n');
        for (String[] r : cells()) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        sb.append('\n');
        notes(sb, "- ");
        return sb.toString();
    }

    Map<String, Object> json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("taken_at", takenAt.toString());
        root.put("mode", mode);
        root.put("machine", machine);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Section s : sections) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name);
            m.put("status", s.status.name().toLowerCase(java.util.Locale.ROOT));
            m.put("figures", s.figures);
            m.put("rows", s.rows);
            m.put("notes", s.notes);
            list.add(m);
        }
        root.put("scenarios", list);
        return root;
    }

    /**
     * A full run of every scenario writes results.json and RESULTS.md; a quick or partial run only
     * target/results-{mode}.json, leaving the published figures alone.
     */
    void write(Path dir, boolean published) throws IOException {
        Files.createDirectories(dir);
        var writer = ServiceClient.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writer();
        if (!published) {
            Files.createDirectories(dir.resolve("target"));
            writer.writeValue(dir.resolve("target/results-" + mode + ".json").toFile(), json());
            return;
        }
        writer.writeValue(dir.resolve("results.json").toFile(), json());
        String body = markdownBody();
        Files.writeString(dir.resolve("RESULTS.md"), "# Benchmark results\n\n" + body);
        Path readme = dir.toAbsolutePath().getParent().resolve("README.md");
        if (Files.exists(readme)) {
            String after = spliceInto(Files.readString(readme), body);
            if (after == null) {
                System.err.println("README.md has no " + README_START + " ... " + README_END + " block; its figures were not updated");
            } else {
                Files.writeString(readme, after);
            }
        }
    }

    /** The readme with the text between the markers replaced by block; null when the markers are missing or out of order. */
    static String spliceInto(String readme, String block) {
        int start = readme.indexOf(README_START);
        int end = readme.indexOf(README_END);
        if (start < 0 || end < start) {
            return null;
        }
        String body = block.endsWith("\n") ? block : block + "\n";
        return readme.substring(0, start + README_START.length()) + "\n\n" + body + "\n" + readme.substring(end);
    }
}
