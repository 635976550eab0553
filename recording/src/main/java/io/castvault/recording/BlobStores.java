package io.castvault.recording;

import io.castvault.db.Database;
import io.castvault.db.StorageQueries;
import io.castvault.db.StorageQueries.StoreRow;
import io.castvault.evidence.MasterKey;
import io.castvault.storage.AddressPolicy;
import io.castvault.storage.BlobStore;
import io.castvault.storage.S3BlobStore;
import io.castvault.storage.S3Settings;
import io.castvault.storage.StoreRoot;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The platform store and one cached client per custom store (issue 18). Each custom client has its own connection
 * pool and the configured timeouts, so a dead org bucket costs that org its own calls and nobody else's. A client
 * is rebuilt when its row's version changes (a credential rotation), seen here at once and on other instances
 * within {@link #REFRESH}. Custom clients connect to public addresses only (checked on every connection), unless
 * {@link Options#allowPrivateEndpoints()}.
 */
public final class BlobStores implements StorePlacement, AutoCloseable {
    static final Duration REFRESH = Duration.ofSeconds(30);
    /** Recordings never move between stores, so the answer can be kept; bounded so it cannot grow without end. */
    private static final int MAX_REMEMBERED_RECORDINGS = 100_000;

    private final Database db;
    private final BlobStore platform;
    private final MasterKey master;
    private final Options options;
    private final StoreObserver observer;
    private final Map<UUID, Cached> clients = new ConcurrentHashMap<>();
    private final Map<UUID, Optional<UUID>> recordingStores = new ConcurrentHashMap<>();

    private record Cached(int version, Instant checkedAt, S3BlobStore client, BlobStore guarded) {
    }

    /**
     * How custom stores are reached.
     *
     * @param callsPerStore         how many calls may wait on one org's own store at once (see {@link StoreBulkhead})
     * @param allowPrivateEndpoints development only: a custom store may be on loopback or a private address
     */
    public record Options(Duration attemptTimeout, Duration callTimeout, int callsPerStore,
                          boolean allowPrivateEndpoints) {
    }

    /** @param observer wraps each custom store's client as it is built (the api module meters them) */
    public BlobStores(Database db, BlobStore platform, MasterKey master, Options options, StoreObserver observer) {
        this.db = db;
        this.platform = platform;
        this.master = master;
        this.options = new Options(options.attemptTimeout(), options.callTimeout(),
                Math.max(1, options.callsPerStore()), options.allowPrivateEndpoints());
        this.observer = observer;
    }

    public boolean allowsPrivateEndpoints() {
        return options.allowPrivateEndpoints();
    }

    public BlobStore platform() {
        return platform;
    }

    /** The store a recording was started in (its row's {@code store_id}; none: the platform store). */
    public BlobStore ofRecording(UUID orgId, UUID recordingId) {
        Optional<UUID> storeId = recordingStores.get(recordingId);
        if (storeId == null) {
            Optional<StorageQueries.RecordingStore> row = db.inOrg(orgId, tx -> StorageQueries.storeOf(tx, recordingId));
            // no row (an orphan, a recording being created elsewhere): its objects can only be in the platform
            // store's listing; the answer is not remembered, a row may still appear
            if (row.isEmpty()) {
                return platform;
            }
            storeId = Optional.ofNullable(row.get().storeId());
            if (recordingStores.size() >= MAX_REMEMBERED_RECORDINGS) {
                recordingStores.clear();
            }
            recordingStores.put(recordingId, storeId);
        }
        return storeId.map(id -> store(orgId, id)).orElse(platform);
    }

    /**
     * The stores of many recordings of one org with one query for those not remembered (the seal's chunk cleanup and
     * the orphan sweep delete hundreds of keys at a time, and a query per key would bound them). Nothing is
     * remembered: these keys are being deleted.
     */
    public Map<UUID, BlobStore> ofRecordings(UUID orgId, Collection<UUID> recordingIds) {
        Map<UUID, BlobStore> stores = new HashMap<>();
        List<UUID> unknown = new ArrayList<>();
        for (UUID id : recordingIds) {
            Optional<UUID> known = recordingStores.get(id);
            if (known == null) {
                unknown.add(id);
            } else {
                stores.put(id, known.map(s -> store(orgId, s)).orElse(platform));
            }
        }
        if (!unknown.isEmpty()) {
            Map<UUID, Optional<UUID>> rows = db.inOrg(orgId, tx -> StorageQueries.storesOf(tx, unknown));
            for (UUID id : unknown) {
                // no row: as in ofRecording, only the platform store can hold its objects
                Optional<UUID> storeId = rows.getOrDefault(id, Optional.empty());
                stores.put(id, storeId.map(s -> store(orgId, s)).orElse(platform));
            }
        }
        return stores;
    }

    /** Where the org writes now: its custom store in custom mode, else the platform store (digests go here). */
    public BlobStore active(UUID orgId) {
        return place(orgId).store();
    }

    @Override
    public Placement place(UUID orgId) {
        Optional<UUID> storeId = db.inOrg(orgId, StorageQueries::active);
        return new Placement(storeId.orElse(null), storeId.map(id -> store(orgId, id)).orElse(platform));
    }

    /** The active store first, then every other store the org has used: where an org's objects may be. */
    public List<BlobStore> everyStoreOf(UUID orgId) {
        Optional<UUID> active = db.inOrg(orgId, StorageQueries::active);
        List<StoreRow> rows = db.inOrg(orgId, StorageQueries::ofOrg);
        List<BlobStore> stores = new ArrayList<>();
        active.ifPresent(id -> stores.add(store(orgId, id)));
        stores.add(platform);
        for (StoreRow row : rows) {
            if (active.isEmpty() || !active.get().equals(row.id())) {
                stores.add(client(row));
            }
        }
        return stores;
    }

    @Override
    public BlobStore placed(UUID orgId, UUID storeId) {
        return storeId == null ? platform : store(orgId, storeId);
    }

    BlobStore store(UUID orgId, UUID storeId) {
        Cached cached = clients.get(storeId);
        if (cached != null && cached.checkedAt().plus(REFRESH).isAfter(Instant.now())) {
            return cached.guarded();
        }
        StoreRow row = db.inOrg(orgId, tx -> StorageQueries.find(tx, storeId))
                .orElseThrow(() -> new IllegalStateException("recording store " + storeId + " is gone"));
        return client(row);
    }

    /** The cached client of a store row, rebuilt when the row's version changed. */
    BlobStore client(StoreRow row) {
        Cached next = clients.compute(row.id(), (id, cached) -> {
            if (cached != null && cached.version() == row.version()) {
                return new Cached(cached.version(), Instant.now(), cached.client(), cached.guarded());
            }
            if (cached != null) {
                cached.client().close();
            }
            S3BlobStore client = connect(row);
            return new Cached(row.version(), Instant.now(), client,
                    observer.observe(row.id(), new StoreBulkhead(client, options.callsPerStore())));
        });
        return next.guarded();
    }

    /** Forgets the client of a store whose row changed here, so the next call uses the new keys. */
    void forget(UUID storeId) {
        Cached gone = clients.remove(storeId);
        if (gone != null) {
            gone.client().close();
        }
    }

    private S3BlobStore connect(StoreRow row) {
        String context = sealContext(row.orgId());
        return new S3BlobStore(settings(URI.create(row.endpoint()), row.region(), row.bucket(),
                new String(master.open(row.accessKeySealed(), context), StandardCharsets.UTF_8),
                new String(master.open(row.secretKeySealed(), context), StandardCharsets.UTF_8),
                row.pathStyle(), StoreRoot.of(row.prefix())));
    }

    S3Settings settings(URI endpoint, String region, String bucket, String accessKey, String secretKey,
                        boolean pathStyle, StoreRoot root) {
        return new S3Settings(endpoint, region, bucket, accessKey, secretKey, options.attemptTimeout(),
                options.callTimeout(), pathStyle, root,
                options.allowPrivateEndpoints() ? AddressPolicy.ANY : AddressPolicy.PUBLIC_ONLY);
    }

    /** Probes the store as it would be used (its own timeouts and prefix), then seals its keys for saving. */
    StorageQueries.NewStore probeAndSeal(UUID orgId, CustomStorage c) {
        StoreProbe.check(settings(c.endpoint(), c.region(), c.bucket(), c.accessKey(), c.secretKey(), c.pathStyle(),
                c.root()), orgId);
        return new StorageQueries.NewStore(c.endpoint().toString(), c.region(), c.bucket(), c.root().value(),
                c.pathStyle(), seal(orgId, c.accessKey()), seal(orgId, c.secretKey()));
    }

    /** The plain access key, for masking on the settings page; the secret is never opened but to connect. */
    String open(StoreRow row) {
        return new String(master.open(row.accessKeySealed(), sealContext(row.orgId())), StandardCharsets.UTF_8);
    }

    /** Drops the cached clients of the org's stores after its settings changed here (other instances: REFRESH). */
    void forgetOrg(UUID orgId) {
        db.inOrg(orgId, StorageQueries::ofOrg).forEach(row -> forget(row.id()));
    }

    private byte[] seal(UUID orgId, String plaintext) {
        return master.seal(plaintext.getBytes(StandardCharsets.UTF_8), sealContext(orgId));
    }

    /** Binds a sealed key to its org: a ciphertext copied into another org's row does not open. */
    private static String sealContext(UUID orgId) {
        return "castvault org_storage " + orgId;
    }

    @Override
    public void close() {
        clients.values().forEach(c -> c.client().close());
        clients.clear();
    }
}
