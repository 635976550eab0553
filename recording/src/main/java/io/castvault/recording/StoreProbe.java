package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.Hashing;
import io.castvault.storage.BlobInfo;
import io.castvault.storage.BlobStore;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.S3BlobStore;
import io.castvault.storage.S3Settings;
import io.castvault.storage.StorageException;
import io.castvault.storage.WriteCondition;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Puts, reads back and deletes a small object under the store's prefix before the store is saved, and says in
 * plain words what failed: a store that cannot take a recording is never saved. That includes a store that ignores
 * conditional writes: the seal relies on them to keep a seal that lost its lease from replacing a sealed object.
 */
final class StoreProbe {
    private StoreProbe() {
    }

    static void check(S3Settings settings, UUID orgId) {
        try (S3BlobStore store = new S3BlobStore(settings)) {
            check(store, orgId);
        }
    }

    /** The probe's steps on {@code store}; a test object under the org's probe prefix, deleted at the end. */
    static void check(BlobStore store, UUID orgId) {
        byte[] body = ("castvault probe " + orgId).getBytes(StandardCharsets.UTF_8);
        byte[] sha256 = Hashing.sha256(body);
        ObjectKey key = ObjectKey.probe(orgId, UUID.randomUUID());
        step("write a test object", () -> store.put(key, body, sha256, "text/plain", new WriteCondition.Absent()));
        try {
            step("read the test object back", () -> {
                try (InputStream in = store.get(key)) {
                    if (!Arrays.equals(in.readAllBytes(), body)) {
                        throw CastvaultException.invalid("custom_storage: the store returned other bytes than were written");
                    }
                } catch (java.io.IOException e) {
                    throw new StorageException(StorageException.Kind.UNAVAILABLE, "read failed", e);
                }
            });
            checkConditionalWrites(store, key, body, sha256);
        } catch (RuntimeException e) {
            try {
                store.delete(List.of(key));
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed); // the probe prefix is the org's own; a stray test object harms nothing
            }
            throw e;
        }
        step("delete the test object", () -> {
            if (!store.delete(List.of(key)).complete()) {
                throw new StorageException(StorageException.Kind.REFUSED, "HTTP 403 delete refused", null);
            }
        });
    }

    /**
     * The seal's fenced writes: over an object, If-None-Match: * is refused; If-Match with the object's ETag lands
     * (other bytes: an S3 ETag is the content's MD5, so the same bytes would keep it), and then that ETag, stale,
     * is refused.
     */
    private static void checkConditionalWrites(BlobStore store, ObjectKey key, byte[] body, byte[] sha256) {
        expectRefused(() -> store.put(key, body, sha256, "text/plain", new WriteCondition.Absent()),
                "If-None-Match: * over an object");
        String etag = answer("read the test object's ETag", () -> store.head(key)).map(BlobInfo::etag)
                .filter(tag -> !tag.isEmpty())
                .orElseThrow(() -> CastvaultException.invalid("custom_storage was not saved: the store names no ETag"
                        + " for an object it holds; sealing writes only over the version it looked at"));
        WriteCondition seen = new WriteCondition.Matching(etag);
        byte[] next = (new String(body, StandardCharsets.UTF_8) + ", rewritten").getBytes(StandardCharsets.UTF_8);
        step("write over the test object with If-Match",
                () -> store.put(key, next, Hashing.sha256(next), "text/plain", seen));
        expectRefused(() -> store.put(key, body, sha256, "text/plain", seen), "If-Match with a stale ETag");
    }

    private static void expectRefused(Runnable write, String what) {
        step("have a conditional write refused (" + what + ")", () -> {
            try {
                write.run();
            } catch (StorageException e) {
                if (e.kind() == StorageException.Kind.PRECONDITION_FAILED) {
                    return;
                }
                throw e;
            }
            throw CastvaultException.invalid("custom_storage was not saved: the store ignores conditional writes (it"
                    + " took a write with " + what + "); sealing relies on them to keep a sealed recording from"
                    + " being replaced");
        });
    }

    private static void step(String what, Runnable action) {
        answer(what, () -> {
            action.run();
            return null;
        });
    }

    /** A step whose answer the probe looks at. */
    private static <T> T answer(String what, java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (StorageException e) {
            throw CastvaultException.invalid("custom_storage was not saved: could not " + what + ": " + reason(e));
        }
    }

    private static String reason(StorageException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("HTTP 501")) {
            return "the store does not implement a request the service needs (" + m.replaceAll(".*failed: ", "") + ")";
        }
        if (e.kind() == StorageException.Kind.UNAVAILABLE) {
            return "the endpoint is unreachable";
        }
        if (m.contains("private address")) {
            return "the endpoint's host resolves to a loopback, link-local or private address";
        }
        if (m.contains("bucket does not exist") || m.contains("NoSuchBucket") || e.kind() == StorageException.Kind.NOT_FOUND) {
            return "no such bucket";
        }
        if (m.contains("HTTP 403") || m.contains("InvalidAccessKeyId") || m.contains("SignatureDoesNotMatch")
                || m.contains("AccessDenied")) {
            return "access denied (check access_key and secret_key, and that they may write under the prefix)";
        }
        return "the store refused the request (" + m.replaceAll(".*failed: ", "") + ")";
    }
}
