package io.castvault.api.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many orgs' own stores are failing now ({@code castvault_store_custom_failing}, and {@code /health/ready}): a
 * store counts from a call that found it unreachable or refusing until a call finds it answering. The orphan sweep
 * calls every custom store on each retention run, so a store nobody uses is looked at again then. Only the count
 * leaves this class; which stores they are is in the log lines of their orgs' failed requests.
 */
@Singleton
public class FailingStores {
    private final Set<UUID> failing = ConcurrentHashMap.newKeySet();

    public FailingStores(MeterRegistry registry) {
        Gauge.builder("castvault.store.custom.failing", failing, Set::size)
                .description("Orgs' own stores whose last call failed (unreachable or refusing)").register(registry);
    }

    public int count() {
        return failing.size();
    }

    /** What the metered client of one custom store reports to. */
    public MeteredBlobStore.Answers of(UUID storeId) {
        return new MeteredBlobStore.Answers() {
            @Override
            public void answered() {
                failing.remove(storeId);
            }

            @Override
            public void failed() {
                failing.add(storeId);
            }
        };
    }
}
