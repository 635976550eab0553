package io.castvault.api.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * Uploads in flight ({@code castvault_uploads_in_flight}) and uploads refused by the back-pressure limit
 * ({@code castvault_upload_rejections_total}). Until a limiter is wired in with {@link #bindInFlight}, the gauge
 * counts the upload requests {@link RequestObservation} sees in flight (chunk uploads and agent transcripts).
 */
// created at start-up, so every series exists (at zero) before the first sweep or upload
@Context
@Requires(notEnv = "cli")
public class UploadMetrics {
    private final AtomicInteger observed = new AtomicInteger();
    private final AtomicReference<IntSupplier> inFlight = new AtomicReference<>(observed::get);
    private final MeterRegistry registry;

    public UploadMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("castvault.uploads.in.flight", inFlight, s -> s.get().getAsInt())
                .description("Uploads being received now (chunks and agent transcripts)").register(registry);
        rejections("limit");
    }

    /** Hook for the in-flight upload limiter: its own count becomes the gauge. */
    public void bindInFlight(IntSupplier count) {
        inFlight.set(count);
    }

    /** Hook for the in-flight upload limiter: one upload refused; {@code reason} is a fixed word, e.g. {@code limit}. */
    public void rejected(String reason) {
        rejections(reason).increment();
    }

    private Counter rejections(String reason) {
        return Counter.builder("castvault.upload.rejections").tag("reason", reason)
                .description("Uploads refused by the back-pressure limit").register(registry);
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
