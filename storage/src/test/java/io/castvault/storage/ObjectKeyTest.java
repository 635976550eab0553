package io.castvault.storage;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Keys read from outside (digests, manifests, a bucket copy on disk) are accepted only in the layout's forms. */
class ObjectKeyTest {
    static final UUID ORG = UUID.fromString("0b8e4a6e-4c57-4a53-9a8e-2f1d0c0e7a11");
    static final UUID REC = UUID.fromString("5f0e9d7c-3b2a-4c1d-8e7f-6a5b4c3d2e1f");

    @Test
    void everyKeyTheServiceWritesParsesBackToItself() {
        ObjectKey digest = ObjectKey.digest(ORG, Instant.parse("2026-11-25T15:04:05.006Z"));
        assertEquals("digests/" + ORG + "/2026/11/25/20261125T150405.006Z.json", digest.value());
        for (ObjectKey k : new ObjectKey[] {ObjectKey.chunk(ORG, REC, 0), ObjectKey.chunk(ORG, REC, 1_000_000),
                ObjectKey.summary(ORG, REC), ObjectKey.manifest(ORG, REC), ObjectKey.signatureOf(ObjectKey.manifest(ORG, REC)),
                digest, ObjectKey.signatureOf(digest)}) {
            assertEquals(k, ObjectKey.parse(k.value()));
        }
    }

    @Test
    void anythingElseIsRefused() {
        for (String bad : new String[] {"", "recordings/" + ORG + "/" + REC + "/../../etc/passwd",
                "/recordings/" + ORG + "/" + REC + "/chunk-0.cast", "recordings/" + ORG + "/" + REC + "/chunk-01.cast",
                "recordings/" + ORG.toString().toUpperCase() + "/" + REC + "/chunk-0.cast",
                "session-recordings/" + ORG + "/" + REC + "/other.json", "digests/" + ORG + "/2026/11/25/x.json",
                "session-recordings/" + ORG + "/" + REC + "/manifest.json\n"}) {
            assertThrows(IllegalArgumentException.class, () -> ObjectKey.parse(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> ObjectKey.signatureOf(ObjectKey.summary(ORG, REC)));
    }
}
