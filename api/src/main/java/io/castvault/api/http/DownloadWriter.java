package io.castvault.api.http;

import io.micronaut.core.type.Argument;
import io.micronaut.core.type.MutableHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.body.ByteBodyFactory;
import io.micronaut.http.body.CloseableByteBody;
import io.micronaut.http.body.ResponseBodyWriter;
import io.micronaut.http.codec.CodecException;
import jakarta.inject.Singleton;

import java.io.OutputStream;

/**
 * Sends a {@link Download}. A body handed to Micronaut as a plain {@code Publisher} has no length, and Micronaut
 * drops a {@code Content-Length} header set beside it; a body built here carries the length, so the server frames
 * the response by it instead of chunking it.
 */
@Singleton
final class DownloadWriter implements ResponseBodyWriter<Download> {
    @Override
    public CloseableByteBody writePiece(ByteBodyFactory bodies, HttpRequest<?> request, HttpResponse<?> response,
                                        Argument<Download> type, MediaType mediaType, Download download) {
        return bodies.adapt(new StreamPublisher(download.in()), download.length());
    }

    @Override
    public void writeTo(Argument<Download> type, MediaType mediaType, Download download, MutableHeaders headers,
                        OutputStream out) {
        // only reachable outside the HTTP server (e.g. a client encoding a request body), which never sends one
        throw new CodecException("a download is written by the server only");
    }
}
