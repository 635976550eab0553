package io.castvault.recording;

import io.castvault.db.Database;
import io.castvault.db.StorageQueries;
import io.castvault.db.StorageQueries.StoreRow;
import io.castvault.storage.BlobStore;
import io.castvault.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The orphan sweep of every org's own store (issue 18): one {@link OrphanSweep} per custom store, each listing
 * that store only and deleting there only (an orphan's key names no row, so routing could not find its store).
 * A store that does not answer is skipped until the next run; the others are still swept.
 */
public final class CustomStoreSweeps {
    private static final Logger LOG = LoggerFactory.getLogger(CustomStoreSweeps.class);

    private final Database db;
    private final BlobStores stores;
    private final Duration grace;
    private final int maxKeysPerStore;
    private final Map<UUID, Sweep> sweeps = new HashMap<>();

    private record Sweep(BlobStore client, OrphanSweep sweep) {
    }

    public record Report(int stores, int deleted, int unreachable) {
    }

    public CustomStoreSweeps(Database db, BlobStores stores, Duration grace, int maxKeysPerStore) {
        this.db = db;
        this.stores = stores;
        this.grace = grace;
        this.maxKeysPerStore = maxKeysPerStore;
    }

    public synchronized Report run() {
        int deleted = 0;
        int unreachable = 0;
        var rows = db.acrossOrgs(StorageQueries::all);
        for (StoreRow row : rows) {
            try {
                BlobStore client = stores.client(row);
                Sweep s = sweeps.get(row.id());
                if (s == null || s.client() != client) {
                    // a rotated store has a new client; its sweep starts over from the first key
                    s = new Sweep(client, new OrphanSweep(db, client, grace, maxKeysPerStore));
                    sweeps.put(row.id(), s);
                }
                deleted += s.sweep().run().deleted();
            } catch (StorageException e) {
                unreachable++;
                LOG.warn("orphan sweep of an org's own store skipped: {}", e.getMessage());
            }
        }
        return new Report(rows.size(), deleted, unreachable);
    }
}
