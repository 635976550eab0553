package io.castvault.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One scenario's outcome: table rows, the raw figures behind them, and what bounds them. */
final class Section {
    enum Status { OK, NOT_AVAILABLE, FAILED }

    /**
     * One line of the table. {@code ratio} and {@code met} are null where there is nothing to compare with.
     */
    record Row(String measure, String ours, String raw, Double ratio, String target, Boolean met) {
    }

    final String name;
    Status status = Status.OK;
    final Map<String, Object> figures = new LinkedHashMap<>();
    final List<Row> rows = new ArrayList<>();
    final List<String> notes = new ArrayList<>();

    Section(String name) {
        this.name = name;
    }

    Section figure(String key, Object value) {
        figures.put(key, value instanceof Double d ? round(d) : value);
        return this;
    }

    Section row(String measure, String ours, String raw, Double ratio, String target, Boolean met) {
        rows.add(new Row(measure, ours, raw, ratio == null ? null : round(ratio), target, met));
        return this;
    }

    Section note(String note) {
        notes.add(note);
        return this;
    }

    static Section unavailable(String name, String why) {
        Section s = new Section(name);
        s.status = Status.NOT_AVAILABLE;
        return s.note("not available: " + why);
    }

    static Section failed(String name, Throwable e) {
        Section s = new Section(name);
        s.status = Status.FAILED;
        return s.note("failed: " + e);
    }

    static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000.0) / 1000.0 : v;
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    static String num(double v, String unit) {
        String f = v >= 100 ? String.format(java.util.Locale.ROOT, "%,.0f", v) : String.format(java.util.Locale.ROOT, "%.2f", v);
        return unit.isEmpty() ? f : f + " " + unit;
    }
}
