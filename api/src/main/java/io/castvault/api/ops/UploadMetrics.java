package io.castvault.api.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.castvault.recording.ChunkUploads;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Uploads in flight ({@code castvault_uploads_in_flight}) and uploads refused by the back-pressure limit
 * ({@code castvault_upload_rejections_total}, the chunk limiter's own count, read when scraped). The gauge counts
 * the upload requests {@link RequestObservation} sees in flight (chunk uploads and agent transcripts).
 */
// created at start-up, so every series exists (at zero) before the first sweep or upload
@Context
@Requires(notEnv = "cli")
public class UploadMetrics {
    private final AtomicInteger observed = new AtomicInteger();

    public UploadMetrics(MeterRegistry registry, ChunkUploads uploads) {
        Gauge.builder("castvault.uploads.in.flight", observed, AtomicInteger::get)
                .description("Uploads being received now (chunks and agent transcripts)").register(registry);
        // Micrometer holds the counted object weakly: the bean itself, which the context keeps, not a method
        // reference to it, which nothing else holds (the counter froze at its last value after a garbage collection)
        FunctionCounter.builder("castvault.upload.rejections", uploads, ChunkUploads::rejected)
                .tag("reason", "limit").description("Uploads refused by the back-pressure limit").register(registry);
    }

    /** One request's share of the observed count: entered once it is known to be an upload, left when it ends. */
    final class Upload {
        private final AtomicBoolean entered = new AtomicBoolean();

        void enter() {
            if (entered.compareAndSet(false, true)) {
                observed.incrementAndGet();
            }
        }

        void exit() {
            if (entered.compareAndSet(true, false)) {
                observed.decrementAndGet();
            }
        }
    }

    Upload upload() {
        return new Upload();
    }
}
