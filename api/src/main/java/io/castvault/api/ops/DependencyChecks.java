package io.castvault.api.ops;

import io.castvault.api.EventsRuntime;
import io.castvault.db.Database;
import io.castvault.storage.BlobStore;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

/**
 * The readiness checks: PostgreSQL and the object store, which every deployment has, and NATS when
 * {@code NATS_URL} is set. NATS down makes the instance unready: it cannot do all it is configured to do (publish
 * events, consume session ends), although the events wait in the outbox meanwhile (README, Probes).
 */
@Factory
class DependencyChecks {

    @Singleton
    @Named("database")
    ReadinessCheck database(Database db) {
        return check("database", db::ping);
    }

    @Singleton
    @Named("object_store")
    ReadinessCheck objectStore(BlobStore blobs) {
        return check("object_store", blobs::ping);
    }

    // the property always exists (NATS_URL defaults to empty): only a non-blank value enables events
    @Singleton
    @Named("nats")
    @Requires(property = "castvault.events.nats-url", pattern = ".*\\S.*")
    ReadinessCheck nats(EventsRuntime events) {
        return check("nats", events::pingNats);
    }

    private static ReadinessCheck check(String name, Runnable probe) {
        return new ReadinessCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void check() {
                probe.run();
            }
        };
    }
}
