package io.castvault.api.ops;

import io.castvault.db.Database;
import io.castvault.storage.BlobStore;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

/** The readiness checks every deployment has: PostgreSQL and the object store. */
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
