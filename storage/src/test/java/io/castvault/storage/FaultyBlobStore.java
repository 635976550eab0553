package io.castvault.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An in-memory {@link BlobStore} that keeps the port's promises (checksums verified, keys in order, missing objects
 * NOT_FOUND) and fails on demand: before an operation takes effect, after it took effect (the caller sees a failure
 * although the object is there, as with a lost response), by stalling until released, or by losing an object.
 * Shared by the storage contract test and the use-case tests of the recording module.
 */
public final class FaultyBlobStore implements BlobStore {
    public enum Op { PUT, GET, HEAD, LIST, DELETE }

    public enum Fault {
        /** The operation fails and has no effect. */
        FAIL,
        /** The operation takes effect, then the caller is told it failed. */
        FAIL_AFTER,
        /** The operation waits until {@link #release()} (or 30 s), then fails as a timed-out call would. */
        STALL,
        /** Internal: the operation takes effect, then the process dies ({@link #crashAt}). */
        CRASH_AFTER
    }

    /** {@code etag}: the content's MD5, quoted, as S3 names a version written in one PUT (same bytes, same ETag) */
    private record Stored(byte[] bytes, String contentType, Instant lastModified, String etag) {
    }

    private static String etag(byte[] content) {
        try {
            return "\"" + java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("MD5").digest(content)) + "\"";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Rule(Op op, Predicate<ObjectKey> keys, Fault fault) {
    }

    private final ConcurrentSkipListMap<String, Stored> objects = new ConcurrentSkipListMap<>();
    private final Deque<Rule> rules = new ArrayDeque<>();
    private final Deque<Map.Entry<Op, Runnable>> interleaved = new ArrayDeque<>();
    private final Map<Op, Fault> always = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile CountDownLatch stalled = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicInteger opsUntilCrash = new java.util.concurrent.atomic.AtomicInteger(-1);
    private volatile boolean crashAfterEffect;

    /**
     * The process dies: thrown at a store call, it unwinds the caller without any of its error handling running
     * (an {@link Error}, not an exception), as {@code kill -9} at that moment would leave things.
     */
    public static final class Crash extends Error {
        Crash(String where) {
            super("crashed at " + where);
        }
    }

    /** The {@code n}th store operation from now on crashes, before or after it takes effect. */
    public void crashAt(int n, boolean afterEffect) {
        crashAfterEffect = afterEffect;
        opsUntilCrash.set(n);
    }

    private boolean crashNow() {
        return opsUntilCrash.get() > 0 && opsUntilCrash.decrementAndGet() == 0;
    }
    private volatile Instant now;

    /** The next matching operation on a matching key fails with {@code fault}; rules apply once, in order. */
    public synchronized FaultyBlobStore failNext(Op op, Predicate<ObjectKey> keys, Fault fault) {
        rules.add(new Rule(op, keys, fault));
        return this;
    }

    /**
     * Runs {@code action} when the next {@code op} arrives, before it takes effect: something another request does
     * at exactly that moment (an admin's settings change during an upload, say).
     */
    public synchronized FaultyBlobStore beforeNext(Op op, Runnable action) {
        interleaved.add(Map.entry(op, action));
        return this;
    }

    public FaultyBlobStore failNext(Op op, Fault fault) {
        return failNext(op, k -> true, fault);
    }

    /** Every {@code op} fails with {@code fault} until {@link #heal()}. */
    public FaultyBlobStore failAlways(Op op, Fault fault) {
        always.put(op, fault);
        return this;
    }

    public synchronized void heal() {
        rules.clear();
        always.clear();
        release();
    }

    /** Lets every stalled call go (each then fails, as a call that timed out). */
    public void release() {
        CountDownLatch old = stalled;
        stalled = new CountDownLatch(1);
        old.countDown();
    }

    /** The object vanishes, as if the store lost it. */
    public void lose(ObjectKey key) {
        objects.remove(key.value());
    }

    /** Objects written from now on carry {@code time} as their last-modified (null: the real clock). */
    public void setClock(Instant time) {
        now = time;
    }

    public boolean contains(ObjectKey key) {
        return objects.containsKey(key.value());
    }

    public byte[] bytes(ObjectKey key) {
        Stored s = objects.get(key.value());
        return s == null ? null : s.bytes().clone();
    }

    public List<String> keys() {
        return List.copyOf(objects.keySet());
    }

    /** Puts an object behind the port's back (a stray left by a crash, say). */
    public void plant(ObjectKey key, byte[] content, Instant lastModified) {
        objects.put(key.value(), new Stored(content.clone(), "application/octet-stream", lastModified, etag(content)));
    }

    private Fault before(Op op, ObjectKey key) {
        if (crashNow()) {
            if (!crashAfterEffect) {
                throw new Crash(op + " " + key);
            }
            return Fault.CRASH_AFTER;
        }
        Runnable action = null;
        synchronized (this) {
            for (var it = interleaved.iterator(); it.hasNext() && action == null; ) {
                var hook = it.next();
                if (hook.getKey() == op) {
                    it.remove();
                    action = hook.getValue();
                }
            }
        }
        if (action != null) {
            action.run();
        }
        Fault f;
        boolean stall = false;
        synchronized (this) {
            f = always.get(op);
            for (var it = rules.iterator(); it.hasNext(); ) {
                Rule r = it.next();
                if (f == null && r.op() == op && (key == null || r.keys().test(key))) {
                    it.remove();
                    f = r.fault();
                    break;
                }
            }
        }
        if (f == Fault.STALL) {
            stall = true;
        }
        if (stall) {
            try {
                stalled.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw unavailable(op, key, "timed out");
        }
        if (f == Fault.FAIL) {
            throw unavailable(op, key, "injected failure");
        }
        return f;
    }

    private static StorageException unavailable(Op op, Object key, String why) {
        return new StorageException(StorageException.Kind.UNAVAILABLE, op + " " + key + " failed: " + why, null);
    }

    private void after(Fault f, Op op, ObjectKey key) {
        if (f == Fault.CRASH_AFTER) {
            throw new Crash("after " + op + " " + key);
        }
        if (f == Fault.FAIL_AFTER) {
            throw unavailable(op, key, "injected failure after the operation took effect");
        }
    }

    @Override
    public void ensureBucket() {
    }

    @Override
    public void put(ObjectKey key, byte[] content, byte[] sha256, String contentType, WriteCondition condition) {
        Fault f = before(Op.PUT, key);
        if (!Arrays.equals(sha256(content), sha256)) {
            throw new StorageException(StorageException.Kind.CHECKSUM_MISMATCH, "put " + key + ": BadDigest", null);
        }
        Stored stored = new Stored(content.clone(), contentType, now == null ? Instant.now() : now, etag(content));
        boolean[] refused = new boolean[1];
        // checked and written in one step, as a store decides a conditional write when the object lands
        objects.compute(key.value(), (k, old) -> {
            refused[0] = switch (condition) {
                case WriteCondition.Any any -> false;
                case WriteCondition.Absent absent -> old != null;
                case WriteCondition.Matching m -> old == null || !old.etag().equals(m.etag());
            };
            return refused[0] ? old : stored;
        });
        if (refused[0]) {
            throw new StorageException(StorageException.Kind.PRECONDITION_FAILED,
                    "put " + key + ": the object is not the one the write expected", null);
        }
        after(f, Op.PUT, key);
    }

    @Override
    public void put(ObjectKey key, Path file, byte[] sha256, String contentType, WriteCondition condition) {
        try {
            put(key, Files.readAllBytes(file), sha256, contentType, condition);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public InputStream get(ObjectKey key) {
        Fault f = before(Op.GET, key);
        Stored s = objects.get(key.value());
        if (s == null) {
            throw new StorageException(StorageException.Kind.NOT_FOUND, "get " + key + ": no such object", null);
        }
        after(f, Op.GET, key);
        return new ByteArrayInputStream(s.bytes());
    }

    @Override
    public InputStream get(ObjectKey key, ByteRange range) {
        Fault f = before(Op.GET, key);
        Stored s = objects.get(key.value());
        if (s == null) {
            throw new StorageException(StorageException.Kind.NOT_FOUND, "get " + key + ": no such object", null);
        }
        after(f, Op.GET, key);
        int from = (int) Math.min(range.first(), s.bytes().length);
        int to = (int) Math.min(range.last() + 1, s.bytes().length);
        return new ByteArrayInputStream(Arrays.copyOfRange(s.bytes(), from, to));
    }

    @Override
    public Optional<BlobInfo> head(ObjectKey key) {
        Fault f = before(Op.HEAD, key);
        Stored s = objects.get(key.value());
        after(f, Op.HEAD, key);
        return Optional.ofNullable(s).map(o -> new BlobInfo(o.bytes().length, o.lastModified(), o.etag()));
    }

    @Override
    public List<ObjectKey> list(ObjectKey.Prefix prefix) {
        Fault f = before(Op.LIST, null);
        List<ObjectKey> keys = new ArrayList<>();
        for (String k : objects.tailMap(prefix.value()).keySet()) {
            if (!k.startsWith(prefix.value())) {
                break;
            }
            keys.add(ObjectKey.listed(prefix, k));
        }
        after(f, Op.LIST, null);
        return keys;
    }

    @Override
    public ListingPage listPage(ObjectKey.Prefix prefix, String startAfter, int max) {
        Fault f = before(Op.LIST, null);
        List<ListedObject> page = new ArrayList<>();
        var tail = startAfter == null ? objects.tailMap(prefix.value(), true) : objects.tailMap(startAfter, false);
        boolean more = false;
        for (var e : tail.entrySet()) {
            if (!e.getKey().startsWith(prefix.value())) {
                if (e.getKey().compareTo(prefix.value()) < 0) {
                    continue;
                }
                break;
            }
            if (page.size() == max) {
                more = true;
                break;
            }
            page.add(new ListedObject(ObjectKey.listed(prefix, e.getKey()), e.getValue().bytes().length,
                    e.getValue().lastModified()));
        }
        after(f, Op.LIST, null);
        return new ListingPage(List.copyOf(page), more ? page.get(page.size() - 1).key().value() : null);
    }

    @Override
    public URI presignGet(ObjectKey key, Duration ttl) {
        return URI.create("memory://" + key.value() + "?ttl=" + ttl.toSeconds());
    }

    @Override
    public DeleteResult delete(Collection<ObjectKey> keys) {
        List<ObjectKey> deleted = new ArrayList<>();
        Map<ObjectKey, String> failed = new LinkedHashMap<>();
        for (ObjectKey k : keys) {
            try {
                Fault f = before(Op.DELETE, k);
                objects.remove(k.value());
                after(f, Op.DELETE, k);
                deleted.add(k);
            } catch (StorageException e) {
                failed.put(k, e.getMessage());
            }
        }
        return new DeleteResult(List.copyOf(deleted), Map.copyOf(failed));
    }

    @Override
    public void ping() {
        before(Op.HEAD, null);
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
