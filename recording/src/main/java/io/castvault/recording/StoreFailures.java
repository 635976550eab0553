package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * What an object-store failure means to the use cases' callers. Whatever its kind, it is the store failing us, not
 * the client: 503 {@code STORAGE_UNAVAILABLE}. An object the database vouches for that is gone or altered is the
 * same code, logged with its key, and a {@link MissingObjectException} so that the completer can back off.
 */
final class StoreFailures {
    private static final Logger LOG = LoggerFactory.getLogger(StoreFailures.class);

    private StoreFailures() {
    }

    static CastvaultException unavailable(StorageException e) {
        return new CastvaultException(ErrorCode.STORAGE_UNAVAILABLE, e.getMessage(), e);
    }

    /** Runs one step against the store, in the callers' vocabulary. */
    static <T> T call(Supplier<T> step) {
        try {
            return step.get();
        } catch (StorageException e) {
            throw unavailable(e);
        }
    }

    static void run(Runnable step) {
        call(() -> {
            step.run();
            return null;
        });
    }

    /** {@code object}: its key, or a description that names it. */
    static MissingObjectException lost(Object key, String why, Throwable cause) {
        LOG.error("object {} {} although the database vouches for it", key, why);
        return new MissingObjectException("an object of the recording (" + key + ") " + why, cause);
    }

    /** A stored object the database vouches for is missing or no longer matches its recorded SHA-256. */
    static final class MissingObjectException extends CastvaultException {
        MissingObjectException(String message, Throwable cause) {
            super(ErrorCode.STORAGE_UNAVAILABLE, message, cause);
        }
    }
}
