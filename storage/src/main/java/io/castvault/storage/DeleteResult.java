package io.castvault.storage;

import java.util.List;
import java.util.Map;

/** Outcome of a batch delete: which keys are gone and why the others are not. */
public record DeleteResult(List<ObjectKey> deleted, Map<ObjectKey, String> failed) {
    public boolean complete() {
        return failed.isEmpty();
    }
}
