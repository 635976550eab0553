package io.castvault.api.ops;

import io.castvault.storage.BlobInfo;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ByteRange;
import io.castvault.storage.DeleteResult;
import io.castvault.storage.ListingPage;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;
import io.castvault.storage.WriteCondition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Times every call of the object-store port ({@code castvault_store_calls_seconds}, by store, operation and outcome:
 * {@code ok} or the {@link StorageException.Kind} of the failure) and counts failures by kind
 * ({@code castvault_store_failures_total}, every kind's series from the first store of its class on). {@code store}
 * is the class of store, {@code platform} or {@code custom}, never which one: an org or bucket in a label would give
 * a series per org. A stream opened by {@code get} is timed to its opening, not to the end of the download.
 */
public final class MeteredBlobStore implements BlobStore {
    static final String METER = "castvault.store.calls";
    static final String FAILURES = "castvault.store.failures";
    public static final String PLATFORM = "platform";
    public static final String CUSTOM = "custom";
    /** Not a {@link StorageException}: a bug or an SDK surprise. */
    private static final String OTHER = "OTHER";

    /** Told after each call whether the store answered; a missing object or a checksum refusal is an answer. */
    public interface Answers {
        Answers IGNORED = new Answers() {
            @Override
            public void answered() {
            }

            @Override
            public void failed() {
            }
        };

        void answered();

        void failed();
    }

    private final BlobStore delegate;
    private final MeterRegistry registry;
    private final String store;
    private final Answers answers;
    private final Map<String, Counter> failures = new HashMap<>();

    public MeteredBlobStore(BlobStore delegate, MeterRegistry registry, String store, Answers answers) {
        this.delegate = delegate;
        this.registry = registry;
        this.store = store;
        this.answers = answers;
        for (StorageException.Kind kind : StorageException.Kind.values()) {
            failures.put(kind.name(), failureCounter(kind.name()));
        }
        failures.put(OTHER, failureCounter(OTHER));
    }

    private Counter failureCounter(String kind) {
        return Counter.builder(FAILURES).tag("store", store).tag("kind", kind)
                .description("Failed object-store calls by class of store and kind of failure").register(registry);
    }

    @Override
    public void ensureBucket() {
        timed("ensure_bucket", () -> {
            delegate.ensureBucket();
            return null;
        });
    }

    @Override
    public void put(ObjectKey key, byte[] content, byte[] sha256, String contentType, WriteCondition condition) {
        timed("put", () -> {
            delegate.put(key, content, sha256, contentType, condition);
            return null;
        });
    }

    @Override
    public void put(ObjectKey key, Path file, byte[] sha256, String contentType, WriteCondition condition) {
        timed("put_file", () -> {
            delegate.put(key, file, sha256, contentType, condition);
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
        // signed locally: says nothing about whether the store answers
        return timed("presign", Answers.IGNORED, () -> delegate.presignGet(key, ttl));
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
        return timed(operation, answers, call);
    }

    private <T> T timed(String operation, Answers answers, Supplier<T> call) {
        long start = System.nanoTime();
        String outcome = "ok";
        try {
            T result = call.get();
            answers.answered();
            return result;
        } catch (StorageException e) {
            outcome = e.kind().name();
            boolean answered = e.kind() == StorageException.Kind.NOT_FOUND
                    || e.kind() == StorageException.Kind.CHECKSUM_MISMATCH
                    || e.kind() == StorageException.Kind.PRECONDITION_FAILED;
            if (answered) {
                answers.answered();
            } else {
                answers.failed();
            }
            throw e;
        } catch (RuntimeException e) {
            outcome = OTHER;
            answers.failed();
            throw e;
        } finally {
            if (!"ok".equals(outcome)) {
                failures.get(outcome).increment();
            }
            Buckets.latency(Timer.builder(METER).tag("store", store).tag("operation", operation).tag("outcome", outcome)
                    .description("Object-store calls by class of store, operation and outcome"))
                    .register(registry).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }
}
