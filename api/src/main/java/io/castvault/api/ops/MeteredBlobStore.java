package io.castvault.api.ops;

import io.castvault.storage.BlobInfo;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ByteRange;
import io.castvault.storage.DeleteResult;
import io.castvault.storage.ListingPage;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Times every call of the object-store port ({@code castvault_store_calls_seconds}, by operation and outcome:
 * {@code ok} or the {@link StorageException.Kind} of the failure). A stream opened by {@code get} is timed to
 * its opening, not to the end of the download.
 */
public final class MeteredBlobStore implements BlobStore {
    static final String METER = "castvault.store.calls";

    private final BlobStore delegate;
    private final MeterRegistry registry;

    public MeteredBlobStore(BlobStore delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.registry = registry;
    }

    @Override
    public void ensureBucket() {
        timed("ensure_bucket", () -> {
            delegate.ensureBucket();
            return null;
        });
    }

    @Override
    public void put(ObjectKey key, byte[] content, byte[] sha256, String contentType) {
        timed("put", () -> {
            delegate.put(key, content, sha256, contentType);
            return null;
        });
    }

    @Override
    public void put(ObjectKey key, Path file, byte[] sha256, String contentType) {
        timed("put_file", () -> {
            delegate.put(key, file, sha256, contentType);
            return null;
        });
    }

    @Override
    public InputStream get(ObjectKey key) {
        return timed("get", () -> delegate.get(key));
    }

    @Override
    public InputStream get(ObjectKey key, ByteRange range) {
        return timed("get_range", () -> delegate.get(key, range));
    }

    @Override
    public Optional<BlobInfo> head(ObjectKey key) {
        return timed("head", () -> delegate.head(key));
    }

    @Override
    public List<ObjectKey> list(ObjectKey.Prefix prefix) {
        return timed("list", () -> delegate.list(prefix));
    }

    @Override
    public ListingPage listPage(ObjectKey.Prefix prefix, String startAfter, int max) {
        return timed("list_page", () -> delegate.listPage(prefix, startAfter, max));
    }

    @Override
    public URI presignGet(ObjectKey key, Duration ttl) {
        return timed("presign", () -> delegate.presignGet(key, ttl));
    }

    @Override
    public DeleteResult delete(Collection<ObjectKey> keys) {
        return timed("delete", () -> delegate.delete(keys));
    }

    @Override
    public void ping() {
        timed("ping", () -> {
            delegate.ping();
            return null;
        });
    }

    private <T> T timed(String operation, Supplier<T> call) {
        long start = System.nanoTime();
        String outcome = "ok";
        try {
            return call.get();
        } catch (StorageException e) {
            outcome = e.kind().name();
            throw e;
        } catch (RuntimeException e) {
            outcome = "OTHER";
            throw e;
        } finally {
            Buckets.latency(Timer.builder(METER).tag("operation", operation).tag("outcome", outcome)
                    .description("Object-store calls by operation and outcome"))
                    .register(registry).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }
}
