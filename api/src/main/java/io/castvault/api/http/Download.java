package io.castvault.api.http;

import java.io.InputStream;
import java.util.OptionalLong;

/**
 * A download's body, read from a blocking stream as the client takes it ({@link DownloadWriter}). With a known
 * length it goes out with {@code Content-Length}: a client reading a length-delimited body does far less work per
 * byte than one decoding chunks (bench/README.md), and can tell a cut transfer from a complete one by itself.
 */
record Download(InputStream in, OptionalLong length) {
    static Download of(InputStream in, long length) {
        return new Download(in, OptionalLong.of(length));
    }

    static Download ofUnknownLength(InputStream in) {
        return new Download(in, OptionalLong.empty());
    }
}
