package io.castvault.api.http;

import io.castvault.core.CastvaultException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams one field of a {@code multipart/form-data} body (RFC 7578) straight from the request body: the parts
 * before it are skipped, its content is delivered as it arrives, nothing is buffered beyond one read window.
 * We read the asciinema upload this way rather than through the framework's multipart binding, which under
 * concurrent large uploads could stop reading a connection for good.
 */
final class MultipartField extends InputStream {
    private static final Pattern BOUNDARY = Pattern.compile("(?i);\\s*boundary=(\"([^\"]{1,70})\"|([^;\\s]{1,70}))");
    private static final Pattern FIELD_NAME = Pattern.compile("(?i);\\s*name=\"([^\"]*)\"");
    private static final int WINDOW = 64 * 1024;
    private static final int MAX_PART_HEADERS = 8 * 1024;

    private final InputStream in;
    private final byte[] delimiter;
    private final byte[] buf;
    private final byte[] one = new byte[1];
    private int pos;
    private int limit;
    private boolean eof;
    /** The delimiter that ends the current part has been consumed. */
    private boolean atDelimiter;

    private MultipartField(InputStream in, byte[] delimiter) {
        this.in = in;
        this.delimiter = delimiter;
        this.buf = new byte[WINDOW + delimiter.length];
        // the body's first boundary has no CRLF before it; pretend it had, so every boundary is one delimiter
        buf[0] = '\r';
        buf[1] = '\n';
        limit = 2;
    }

    /**
     * The content of field {@code name}.
     *
     * @throws CastvaultException INVALID_INPUT when the content type names no boundary or the body holds no such field
     */
    static InputStream open(InputStream body, String contentType, String name) throws IOException {
        Matcher m = contentType == null ? null : BOUNDARY.matcher(contentType);
        if (m == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data") || !m.find()) {
            throw CastvaultException.invalid("the upload must be multipart/form-data with a boundary");
        }
        String boundary = m.group(2) != null ? m.group(2) : m.group(3);
        MultipartField stream = new MultipartField(body, ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1));
        stream.skipPart(); // the preamble
        while (true) {
            if (stream.closingDelimiter()) {
                throw CastvaultException.invalid("the upload has no field \"" + name + "\"");
            }
            Matcher field = FIELD_NAME.matcher(stream.partHeaders());
            if (field.find() && field.group(1).equals(name)) {
                return stream;
            }
            stream.skipPart();
        }
    }

    @Override
    public int read() throws IOException {
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    /** Reads the current part's content; -1 at the delimiter that ends it. */
    @Override
    public int read(byte[] out, int off, int len) throws IOException {
        if (atDelimiter) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        while (true) {
            fill(delimiter.length);
            int found = indexOfDelimiter();
            if (found == pos) {
                pos += delimiter.length;
                atDelimiter = true;
                return -1;
            }
            // bytes that cannot be the start of a delimiter are content
            int end = found >= 0 ? found : (eof ? limit : limit - delimiter.length + 1);
            if (end > pos) {
                int n = Math.min(len, end - pos);
                System.arraycopy(buf, pos, out, off, n);
                pos += n;
                return n;
            }
            if (eof) {
                throw CastvaultException.invalid("the upload ended inside a part, before its closing boundary");
            }
        }
    }

    private void skipPart() throws IOException {
        byte[] scratch = new byte[8192];
        while (read(scratch, 0, scratch.length) >= 0) {
            // discarded
        }
        atDelimiter = false;
    }

    /** After a delimiter: "--" closes the body, anything else (then CRLF) opens another part. */
    private boolean closingDelimiter() throws IOException {
        fill(2);
        if (limit - pos >= 2 && buf[pos] == '-' && buf[pos + 1] == '-') {
            return true;
        }
        if (limit - pos < 2) {
            throw CastvaultException.invalid("the upload ended after a boundary");
        }
        return false;
    }

    /** The rest of the boundary line and the part's headers, consumed up to and including the blank line. */
    private String partHeaders() throws IOException {
        StringBuilder headers = new StringBuilder();
        while (true) {
            fill(1);
            if (pos == limit) {
                throw CastvaultException.invalid("the upload ended inside a part's headers");
            }
            headers.append((char) (buf[pos++] & 0xff));
            if (headers.length() > MAX_PART_HEADERS) {
                throw CastvaultException.invalid("a part of the upload has more than " + MAX_PART_HEADERS + " bytes of headers");
            }
            int n = headers.length();
            if (n >= 4 && headers.charAt(n - 4) == '\r' && headers.charAt(n - 3) == '\n'
                    && headers.charAt(n - 2) == '\r' && headers.charAt(n - 1) == '\n') {
                return headers.toString();
            }
        }
    }

    /** Makes at least {@code want} bytes available unless the body ends first. */
    private void fill(int want) throws IOException {
        if (limit - pos >= want || eof) {
            return;
        }
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
        while (limit < want || limit < buf.length / 2) {
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) {
                eof = true;
                return;
            }
            limit += n;
            if (limit >= want && in.available() <= 0) {
                return;
            }
        }
    }

    private int indexOfDelimiter() {
        int last = limit - delimiter.length;
        outer:
        for (int i = pos; i <= last; i++) {
            if (buf[i] != '\r') {
                continue;
            }
            for (int j = 1; j < delimiter.length; j++) {
                if (buf[i + j] != delimiter[j]) {
                    continue outer;
                }
            }
            return i;
        }
        // a delimiter cut off by the end of the window is found on the next fill
        return -1;
    }

    @Override
    public void close() throws IOException {
        Arrays.fill(buf, (byte) 0);
        in.close();
    }
}
