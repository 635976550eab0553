package io.castvault.recording;

import io.castvault.core.model.RecordingStatus;

import io.castvault.db.Database;
import io.castvault.db.WritePathQueries;
import io.castvault.db.WritePathQueries.Presence;
import io.castvault.storage.BlobStore;
import io.castvault.storage.DeleteResult;
import io.castvault.storage.ListedObject;
import io.castvault.storage.ListingPage;
import io.castvault.storage.ObjectKey;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Removes objects no row names, whatever left them (a crash between put and commit, a failed delete, a released
 * claim, agent ingest dying after its put): each run lists at most {@code maxKeysPerRun} keys, resuming after the
 * last key of the previous run and starting over at the end, and deletes those older than the grace period that
 * no recording or chunk row names. So a stray outlives its recording by at most one pass over the bucket
 * ({@code objects / maxKeysPerRun} sweep intervals) plus the grace period.
 *
 * <p>The grace period is what makes this safe against writes in flight: an object younger than it may belong to
 * a put whose row is about to commit. Chunk objects of an active recording are never removed (a released claim's
 * object may be re-claimed at any moment); they go when the recording is sealed or deleted.
 */
public final class OrphanSweep {
    private final Database db;
    private final BlobStore blobs;
    private final Duration grace;
    private final int maxKeysPerRun;
    private int root;
    private String cursor;

    public OrphanSweep(Database db, BlobStore blobs, Duration grace, int maxKeysPerRun) {
        this.db = db;
        this.blobs = blobs;
        this.grace = grace;
        this.maxKeysPerRun = maxKeysPerRun;
    }

    public record Report(int listed, int deleted, int failed, boolean wrapped) {
    }

    /** One bounded step; runs are serialised (the sweeper runs one at a time). */
    public synchronized Report run() {
        List<ObjectKey.Prefix> roots = ObjectKey.roots();
        List<ListedObject> listed = new ArrayList<>();
        boolean wrapped = false;
        while (listed.size() < maxKeysPerRun) {
            ListingPage page = blobs.listPage(roots.get(root), cursor, Math.min(1000, maxKeysPerRun - listed.size()));
            listed.addAll(page.objects());
            cursor = page.last();
            if (cursor == null) {
                root = (root + 1) % roots.size();
                if (root == 0) {
                    wrapped = true;
                    break;
                }
            }
        }
        Instant cutoff = Instant.now().minus(grace);
        List<ListedObject> old = listed.stream().filter(o -> o.lastModified().isBefore(cutoff)).toList();
        List<ObjectKey> orphans = orphans(old);
        DeleteResult result = blobs.delete(orphans);
        return new Report(listed.size(), result.deleted().size(), result.failed().size(), wrapped);
    }

    private List<ObjectKey> orphans(List<ListedObject> candidates) {
        Set<UUID> ids = new HashSet<>();
        for (ListedObject o : candidates) {
            o.key().named().ifPresent(n -> ids.add(n.recordingId()));
        }
        Map<UUID, Presence> present = ids.isEmpty() ? Map.of() : db.acrossOrgs(tx -> WritePathQueries.presence(tx, ids));
        List<ObjectKey> orphans = new ArrayList<>();
        for (ListedObject o : candidates) {
            Optional<ObjectKey.Named> named = o.key().named();
            if (named.isEmpty()) {
                orphans.add(o.key()); // not of our layout: nothing can name it
                continue;
            }
            Presence p = present.get(named.get().recordingId());
            if (p == null) {
                orphans.add(o.key()); // ids are never reused: no row will name it later
                continue;
            }
            if (named.get().kind() == ObjectKey.Kind.CHUNK && p.status() == RecordingStatus.COMPLETED && p.sealed()) {
                // a sealed recording's chunk (its seal died before deleting it): its bytes are in recording.cast
                orphans.add(o.key());
            }
        }
        return orphans;
    }
}
