package io.castvault.core;

/**
 * One asciicast event, {@code [time, code, data]}, checked in place as RFC 8259 JSON exactly as Jackson reads it
 * with its defaults (white space only space, tab, CR and LF; numbers without leading zeros, plus signs, bare
 * points or NaN; strings without raw control characters and with only the standard escapes), and nothing else on
 * the line. Checking each line with a Jackson parser of its own was about a tenth of {@code upload_chunk}'s CPU at
 * 64 KiB (JFR, bench/README.md); this scan of the line's characters takes about two thirds of that time.
 * {@code EventLineTest} holds it to Jackson's verdict on generated lines.
 */
final class EventLine {
    private static final String CODES = "oimrx";
    private static final String CODE = "event code must be one of \"o\", \"i\", \"m\", \"r\", \"x\"";

    /** Why the range is not an event: the message, without the line number the caller adds. */
    static final class Malformed extends RuntimeException {
        Malformed(String why) {
            super(why, null, false, false);
        }
    }

    /** The time's token as written (its start and end in the text): the caller bounds it before any arithmetic. */
    record Time(int start, int end) {
    }

    private final char[] text;
    private final int end;
    private int at;

    private EventLine(char[] text, int from, int to) {
        this.text = text;
        this.at = from;
        this.end = to;
    }

    /** Checks {@code text[from, to)} and returns where its time is. */
    static Time scan(char[] text, int from, int to) {
        return new EventLine(text, from, to).event();
    }

    private Time event() {
        space();
        if (!take('[')) {
            throw new Malformed("event must be a JSON array [time, code, data]");
        }
        space();
        int timeStart = at;
        if (!number()) {
            throw new Malformed("event time must be a number");
        }
        int timeEnd = at;
        separator(CODE);
        int codeStart = at;
        if (!take('"')) {
            throw new Malformed(CODE);
        }
        string();
        if (!isCode(codeStart + 1, at - 1)) {
            throw new Malformed(CODE);
        }
        return rest(timeStart, timeEnd);
    }

    /** One of the codes, written plainly or as a six-character unicode escape (the same string to a JSON reader). */
    private boolean isCode(int from, int to) {
        if (to - from == 1) {
            return CODES.indexOf(text[from]) >= 0;
        }
        if (to - from != 6 || text[from] != '\\' || text[from + 1] != 'u') {
            return false;
        }
        int c = 0;
        for (int k = from + 2; k < to; k++) {
            c = c * 16 + hex(text[k]);
        }
        return CODES.indexOf(c) >= 0;
    }

    private Time rest(int timeStart, int timeEnd) {
        separator("event data must be a string");
        if (!take('"')) {
            throw new Malformed("event data must be a string");
        }
        string();
        space();
        if (!take(']')) {
            throw peek() == ',' ? new Malformed("event must have exactly three elements") : notJson();
        }
        space();
        if (at != end) {
            throw new Malformed("unexpected content after the event");
        }
        return new Time(timeStart, timeEnd);
    }

    /** The comma before the next element; at the closing bracket instead, that element is the one missing. */
    private void separator(String missing) {
        space();
        if (take(',')) {
            space();
            return;
        }
        throw peek() == ']' ? new Malformed(missing) : notJson();
    }

    private void space() {
        while (at < end) {
            char c = text[at];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    private int peek() {
        return at < end ? text[at] : -1;
    }

    private boolean take(char c) {
        if (at < end && text[at] == c) {
            at++;
            return true;
        }
        return false;
    }

    /** {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}; what follows is the separator's to judge. */
    private boolean number() {
        take('-');
        if (!take('0') && digits() == 0) {
            return false;
        }
        if (take('.') && digits() == 0) {
            return false;
        }
        if (take('e') || take('E')) {
            if (!take('+')) {
                take('-');
            }
            return digits() > 0;
        }
        return true;
    }

    private int digits() {
        int start = at;
        while (at < end && text[at] >= '0' && text[at] <= '9') {
            at++;
        }
        return at - start;
    }

    /** The rest of a string after its opening quote, through the closing one. */
    private void string() {
        while (at < end) {
            char c = text[at++];
            if (c > '\\') {
                continue; // letters and most text: nothing to check
            }
            if (c == '"') {
                return;
            }
            if (c == '\\') {
                escape();
            } else if (c < 0x20) {
                throw notJson();
            }
        }
        throw notJson();
    }

    private void escape() {
        if (at >= end) {
            throw notJson();
        }
        switch (text[at++]) {
            case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
            }
            case 'u' -> {
                for (int k = 0; k < 4; k++) {
                    if (at >= end || hex(text[at++]) < 0) {
                        throw notJson();
                    }
                }
            }
            default -> throw notJson();
        }
    }

    /** The value of an ASCII hex digit, or -1 (Character.digit would take other scripts' digits too). */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static Malformed notJson() {
        return new Malformed("event is not valid JSON");
    }
}
