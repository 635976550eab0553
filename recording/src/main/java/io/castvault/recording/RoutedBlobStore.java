package io.castvault.recording;

import io.castvault.storage.BlobInfo;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ByteRange;
import io.castvault.storage.DeleteResult;
import io.castvault.storage.ListingPage;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;
import io.castvault.storage.WriteCondition;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The one {@link BlobStore} the use cases and evidence see (issue 18): every key names its org and, but for
 * digests, its recording, so each call goes to the store that recording was started in, without any use case
 * having to carry a store around. Digests are written to the org's active store and looked up in every store the
 * org has used; org-wide listings (the evidence bundle, verification) are the union of those stores. Listing the
 * roots (the orphan sweep) covers the platform store only. A recording written before its row exists (agent
 * ingest) is not written through here but to its {@link StorePlacement}'s store.
 */
public final class RoutedBlobStore implements BlobStore {
    private final BlobStores stores;

    public RoutedBlobStore(BlobStores stores) {
        this.stores = stores;
    }

    private BlobStore of(ObjectKey key) {
        UUID org = key.orgId().orElseThrow(() -> new IllegalArgumentException(key + " names no org"));
        return key.recordingId().map(rec -> stores.ofRecording(org, rec)).orElseGet(() -> stores.active(org));
    }

    @Override
    public void ensureBucket() {
        stores.platform().ensureBucket();
    }

    @Override
    public void put(ObjectKey key, byte[] content, byte[] sha256, String contentType, WriteCondition condition) {
        of(key).put(key, content, sha256, contentType, condition);
    }

    @Override
    public void put(ObjectKey key, Path file, byte[] sha256, String contentType, WriteCondition condition) {
        of(key).put(key, file, sha256, contentType, condition);
    }

    @Override
    public InputStream get(ObjectKey key) {
        if (key.recordingId().isPresent()) {
            return of(key).get(key);
        }
        StorageException missing = null;
        for (BlobStore store : stores.everyStoreOf(key.orgId().orElseThrow())) {
            try {
                return store.get(key);
            } catch (StorageException e) {
                if (e.kind() != StorageException.Kind.NOT_FOUND) {
                    throw e;
                }
                missing = e;
            }
        }
        throw missing;
    }

    @Override
    public InputStream get(ObjectKey key, ByteRange range) {
        return of(key).get(key, range);
    }

    @Override
    public Optional<BlobInfo> head(ObjectKey key) {
        return of(key).head(key);
    }

    @Override
    public List<ObjectKey> list(ObjectKey.Prefix prefix) {
        Optional<UUID> org = prefix.orgId();
        if (org.isEmpty()) {
            return stores.platform().list(prefix);
        }
        Optional<UUID> recording = prefix.recordingId();
        if (recording.isPresent()) {
            return stores.ofRecording(org.get(), recording.get()).list(prefix);
        }
        Set<ObjectKey> keys = new LinkedHashSet<>();
        for (BlobStore store : stores.everyStoreOf(org.get())) {
            keys.addAll(store.list(prefix));
        }
        return List.copyOf(keys);
    }

    @Override
    public ListingPage listPage(ObjectKey.Prefix prefix, String startAfter, int max) {
        return stores.platform().listPage(prefix, startAfter, max);
    }

    @Override
    public URI presignGet(ObjectKey key, Duration ttl) {
        return of(key).presignGet(key, ttl);
    }

    @Override
    public DeleteResult delete(Collection<ObjectKey> keys) {
        // the recordings' stores, one lookup per org rather than one per recording
        Map<UUID, Set<UUID>> recordingsByOrg = new HashMap<>();
        for (ObjectKey key : keys) {
            key.recordingId().ifPresent(rec -> recordingsByOrg
                    .computeIfAbsent(key.orgId().orElseThrow(), o -> new HashSet<>()).add(rec));
        }
        Map<UUID, BlobStore> storeOfRecording = new HashMap<>();
        recordingsByOrg.forEach((org, recs) -> storeOfRecording.putAll(stores.ofRecordings(org, recs)));
        Map<BlobStore, List<ObjectKey>> byStore = new IdentityHashMap<>();
        for (ObjectKey key : keys) {
            BlobStore store = key.recordingId().map(storeOfRecording::get).orElseGet(() -> of(key));
            byStore.computeIfAbsent(store, s -> new ArrayList<>()).add(key);
        }
        List<ObjectKey> deleted = new ArrayList<>();
        Map<ObjectKey, String> failed = new LinkedHashMap<>();
        byStore.forEach((store, batch) -> {
            DeleteResult r = store.delete(batch);
            deleted.addAll(r.deleted());
            failed.putAll(r.failed());
        });
        return new DeleteResult(List.copyOf(deleted), Map.copyOf(failed));
    }

    /** Health is about the platform store; an org's bucket being down is that org's 503, not the service's. */
    @Override
    public void ping() {
        stores.platform().ping();
    }
}
