package io.castvault.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The WAL PostgreSQL wrote in a timed window (pg_stat_wal, the whole server's: nothing else writes during a
 * benchmark): its records, its full-page images (a page's first change after a checkpoint is logged whole) and
 * its bytes: part of what the database adds to a disk it shares with the S3 server's files, the data pages written
 * back after it being the rest. Backends report their counts up to a second late, a few per cent of a minute.
 */
final class WalMeter {
    record Reading(long records, long fullPageImages, long bytes) {
    }

    private WalMeter() {
    }

    static Reading read(Fixtures fixtures) throws Exception {
        try (Connection c = fixtures.seedingConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal")) {
            rs.next();
            return new Reading(rs.getLong(1), rs.getLong(2), rs.getBigDecimal(3).longValue());
        }
    }

    static Map<String, Double> window(Reading a, Reading b, double per) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("records", Section.round((b.records() - a.records()) / per));
        m.put("full_page_images", Section.round((b.fullPageImages() - a.fullPageImages()) / per));
        m.put("mib", Section.round((b.bytes() - a.bytes()) / 1048576.0 / per));
        return m;
    }

    static String describe(Map<String, Double> w) {
        return String.format(java.util.Locale.ROOT, "%.0f records, %.0f full-page images, %.2f MiB",
                w.get("records"), w.get("full_page_images"), w.get("mib"));
    }
}
