package io.castvault.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * Validates asciicast line by line, so that a transcript of any size is checked without holding it in memory.
 *
 * <p>Chunks carry asciicast v2 event lines ({@code [time, code, data]}); the first chunk of a recording may begin
 * with a v2 header. Whole files (agent ingest, asciinema upload) must begin with a v2 or v3 header; v3 events use
 * intervals relative to the previous event and are rewritten to v2 absolute times, so that every recording is
 * served as one v2 file. The event's data is kept byte for byte: only the time field is rewritten.
 */
public final class CastParser {
    /**
     * Largest event time (and v3 running clock) in seconds, about 31 years: far above any session, and small
     * enough that every accepted time is exact as a double and prints in a few dozen characters.
     */
    public static final BigDecimal MAX_EVENT_SECONDS = BigDecimal.valueOf(1_000_000_000L);
    /** Largest terminal width/height (v2 {@code width}/{@code height}, v3 {@code term.cols}/{@code term.rows}). */
    public static final int MAX_TERMINAL_SIZE = 10_000;
    /**
     * A time is at most this many characters as written and has at most {@link #MAX_TIME_SCALE} decimals: both
     * are checked on the token's text before it becomes a number, so {@code 1e999999999} or {@code 1e-400} never
     * reach BigDecimal arithmetic (which would spend minutes or throw on them).
     */
    private static final int MAX_TIME_CHARS = 32;
    private static final int MAX_TIME_SCALE = 20;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private enum Mode { CHUNK, FIRST_CHUNK, FILE }

    private final Mode mode;
    private int lineNumber;
    private int version = 2;
    private CastHeader header;
    private long eventCount;
    private BigDecimal lastTime = BigDecimal.ZERO;
    private BigDecimal clock = BigDecimal.ZERO;
    /** The line being checked, reused from line to line. */
    private char[] lineChars = new char[256];

    private CastParser(Mode mode) {
        this.mode = mode;
    }

    /** Event lines of a chunk; {@code first} allows a leading v2 header (chunk 0). */
    public static CastParser forChunk(boolean first) {
        return new CastParser(first ? Mode.FIRST_CHUNK : Mode.CHUNK);
    }

    /** A whole asciicast v2 or v3 file. */
    public static CastParser forFile() {
        return new CastParser(Mode.FILE);
    }

    /**
     * Checks one line (without its line terminator).
     *
     * @return the line as it belongs in the v2 output, or {@code null} when it is not part of it (a v3 comment)
     */
    public String accept(String line) {
        return accept(line, 0, line.length(), true);
    }

    /** Validates a whole in-memory piece, e.g. one chunk, without copying its lines out. */
    public static CastSummary inspect(String text, CastParser parser) {
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            if (start < text.length() || end > start) {
                parser.accept(text, start, end, false);
            }
            start = end + 1;
        }
        return parser.finish();
    }

    /** {@code text[from, to)} as one line; {@code keep}: whether the caller wants the line back (as accept does). */
    private String accept(String text, int from, int to, boolean keep) {
        lineNumber++;
        if (to > from && text.charAt(to - 1) == '\r') {
            to--;
        }
        int first = firstNonBlank(text, from, to);
        if (first == to) {
            // asciinema's own reader, asciinema-server and asciinema-player all skip blank lines (files edited by
            // hand have them); they carry nothing, so they are dropped from a rewritten file.
            return null;
        }
        if (lineNumber == 1 && mode != Mode.CHUNK && text.charAt(first) == '{') {
            return acceptHeader(text.substring(from, to));
        }
        if (lineNumber == 1 && mode == Mode.FILE) {
            throw invalid("an asciicast file must start with a header line");
        }
        if (version == 3 && text.charAt(from) == '#') {
            return null;
        }
        return acceptEvent(text, from, to, keep);
    }

    /** Where the line's first character that is not white space (as String.isBlank sees it) is; {@code to} if none. */
    private static int firstNonBlank(String text, int from, int to) {
        int i = from;
        while (i < to) {
            int c = text.codePointAt(i);
            if (!Character.isWhitespace(c)) {
                return i;
            }
            i += Character.charCount(c);
        }
        return to;
    }

    public CastSummary finish() {
        if (mode == Mode.FILE && header == null) {
            throw CastvaultException.invalid("asciicast is empty");
        }
        return new CastSummary(Optional.ofNullable(header), eventCount, lastTime);
    }

    private String acceptHeader(String line) {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (IOException e) {
            throw invalid("header is not valid JSON");
        }
        if (!(node instanceof ObjectNode object)) {
            throw invalid("header must be a JSON object");
        }
        JsonNode v = object.get("version");
        if (v == null || !v.isInt() || (v.intValue() != 2 && v.intValue() != 3)) {
            throw invalid("header version must be 2 or 3");
        }
        if (v.intValue() == 3 && mode != Mode.FILE) {
            throw invalid("chunks carry asciicast v2; upload v3 recordings as whole files");
        }
        version = v.intValue();
        for (String field : new String[] {"timestamp", "idle_time_limit", "duration"}) {
            requireFiniteNonNegative(object, field);
        }
        if (version == 2) {
            requirePositiveInt(object, "width");
            requirePositiveInt(object, "height");
            header = new CastHeader(line);
            return line;
        }
        JsonNode term = object.get("term");
        if (term == null || !term.isObject()) {
            throw invalid("v3 header needs a term object");
        }
        ObjectNode v2 = MAPPER.createObjectNode();
        v2.put("version", 2);
        v2.put("width", requirePositiveInt((ObjectNode) term, "cols"));
        v2.put("height", requirePositiveInt((ObjectNode) term, "rows"));
        for (String carried : new String[] {"timestamp", "idle_time_limit", "command", "title", "env"}) {
            if (object.has(carried)) {
                v2.set(carried, object.get(carried).deepCopy());
            }
        }
        // v2 has the same theme object ({fg, bg, palette}); without it the replay loses the recorded colours
        if (term.get("theme") instanceof ObjectNode theme) {
            v2.set("theme", theme);
        }
        if (term.hasNonNull("type")) {
            if (!v2.has("env")) {
                v2.putObject("env");
            }
            if (v2.get("env") instanceof ObjectNode env && !env.has("TERM")) {
                env.set("TERM", term.get("type"));
            }
        }
        String line2 = v2.toString();
        // the v2 header is written anew: an unpaired surrogate escape read from the v3 one would come out as '?'
        if (Text.hasUnpairedSurrogate(line2)) {
            throw invalid("header holds an unpaired surrogate escape (\\uD800-\\uDFFF)");
        }
        header = new CastHeader(line2);
        return header.line();
    }

    private int requirePositiveInt(ObjectNode object, String field) {
        JsonNode n = object.get(field);
        if (n == null || !n.isInt() || n.intValue() <= 0 || n.intValue() > MAX_TERMINAL_SIZE) {
            throw invalid("header field " + field + " must be an integer from 1 to " + MAX_TERMINAL_SIZE);
        }
        return n.intValue();
    }

    /** Optional numeric header fields: readers do arithmetic on them, so Infinity or a negative would break a replay. */
    private void requireFiniteNonNegative(ObjectNode object, String field) {
        JsonNode n = object.get(field);
        if (n == null || n.isNull()) {
            return;
        }
        if (!n.isNumber() || !Double.isFinite(n.doubleValue()) || n.doubleValue() < 0) {
            throw invalid("header field " + field + " must be a finite non-negative number");
        }
    }

    /** The event time from its token text, bounded before any arithmetic. */
    private BigDecimal eventTime(String text) {
        if (text.length() > MAX_TIME_CHARS) {
            throw invalid("event time has more than " + MAX_TIME_CHARS + " characters");
        }
        BigDecimal time;
        try {
            time = new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw invalid("event time is out of range");
        }
        if (time.signum() < 0) {
            throw invalid("event time must not be negative");
        }
        if (time.compareTo(MAX_EVENT_SECONDS) > 0) {
            throw invalid("event time must be at most " + MAX_EVENT_SECONDS + " seconds");
        }
        if (time.signum() == 0) {
            return BigDecimal.ZERO;
        }
        if (time.scale() > MAX_TIME_SCALE && time.stripTrailingZeros().scale() > MAX_TIME_SCALE) {
            throw invalid("event time has more than " + MAX_TIME_SCALE + " decimals");
        }
        return time;
    }

    private String acceptEvent(String text, int from, int to, boolean keep) {
        int length = to - from;
        if (lineChars.length < length) {
            lineChars = new char[Math.max(length, 2 * lineChars.length)];
        }
        // the scan reads an array: a String's characters one by one cost it more than the copy does
        text.getChars(from, to, lineChars, 0);
        EventLine.Time at;
        try {
            at = EventLine.scan(lineChars, 0, length);
        } catch (EventLine.Malformed e) {
            throw invalid(e.getMessage());
        }
        BigDecimal time = eventTime(new String(lineChars, at.start(), at.end() - at.start()));
        eventCount++;
        if (version == 3) {
            clock = clock.add(time);
            if (clock.compareTo(MAX_EVENT_SECONDS) > 0) {
                throw invalid("event time (the sum of the intervals) must be at most " + MAX_EVENT_SECONDS + " seconds");
            }
            lastTime = clock;
            return keep ? text.substring(from, from + at.start()) + clock.toPlainString()
                    + text.substring(from + at.end(), to) : null;
        }
        if (time.compareTo(lastTime) > 0) {
            lastTime = time;
        }
        return keep ? text.substring(from, to) : null;
    }

    private CastvaultException invalid(String why) {
        return CastvaultException.invalid("invalid asciicast at line " + lineNumber + ": " + why);
    }
}
