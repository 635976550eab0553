package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.Hashing;
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
        step("read the test object back", () -> {
            try (InputStream in = store.get(key)) {
                if (!Arrays.equals(in.readAllBytes(), body)) {
                    throw CastvaultException.invalid("custom_storage: the store returned other bytes than were written");
                }
            } catch (java.io.IOException e) {
                throw new StorageException(StorageException.Kind.UNAVAILABLE, "read failed", e);
            }
        });
        step("have a conditional write refused", () -> {
            try {
                store.put(key, body, sha256, "text/plain", new WriteCondition.Absent());
            } catch (StorageException e) {
                if (e.kind() == StorageException.Kind.PRECONDITION_FAILED) {
                    return;
                }
                throw e;
            }
            store.delete(List.of(key));
            throw CastvaultException.invalid("custom_storage was not saved: the store ignores conditional writes (it"
                    + " replaced an object that a write with If-None-Match: * expected absent); sealing relies on"
                    + " them to keep a sealed recording from being replaced");
        });
        step("delete the test object", () -> {
            if (!store.delete(List.of(key)).complete()) {
                throw new StorageException(StorageException.Kind.REFUSED, "HTTP 403 delete refused", null);
            }
        });
    }

    private static void step(String what, Runnable action) {
        try {
            action.run();
        } catch (StorageException e) {
            throw CastvaultException.invalid("custom_storage was not saved: could not " + what + ": " + reason(e));
        }
    }

    private static String reason(StorageException e) {
        String m = String.valueOf(e.getMessage());
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
