package io.castvault.storage;

import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreRootTest {
    private static final UUID ORG = UUID.fromString("11111111-1111-4111-8111-111111111111");
    private static final UUID REC = UUID.fromString("22222222-2222-4222-8222-222222222222");

    @Test
    void aPrefixIsPlainPathSegmentsEndingInASlash() {
        assertEquals("", StoreRoot.of(null).value());
        assertEquals("", StoreRoot.of(" / ").value());
        assertEquals("tenant-a/recordings/", StoreRoot.of("/tenant-a/recordings").value());
        assertEquals("tenant-a/", StoreRoot.of("tenant-a/").value());
        assertEquals("tenant-a/" + ObjectKey.cast(ORG, REC).value(), StoreRoot.of("tenant-a").wire(ObjectKey.cast(ORG, REC)));
    }

    @Test
    void nothingClimbsOutOfItsFolder() {
        for (String bad : new String[] {"../x", "a/../b", "a//b", ".hidden", "a b", "a/%2e%2e/", "x".repeat(300),
                "a/b/c/d/e/f/g/h/i"}) {
            assertThrows(IllegalArgumentException.class, () -> StoreRoot.of(bad), bad);
        }
    }

    @Test
    void keysAndPrefixesNameTheirOrgAndRecording() {
        assertEquals(ORG, ObjectKey.chunk(ORG, REC, 3).orgId().orElseThrow());
        assertEquals(REC, ObjectKey.manifest(ORG, REC).recordingId().orElseThrow());
        assertTrue(ObjectKey.digest(ORG, java.time.Instant.EPOCH).recordingId().isEmpty());
        assertEquals(ORG, ObjectKey.digest(ORG, java.time.Instant.EPOCH).orgId().orElseThrow());
        assertTrue(ObjectKey.probe(ORG, REC).recordingId().isEmpty(), "a probe is nobody's recording");
        assertEquals(REC, ObjectKey.recordingPrefixes(ORG, REC).get(1).recordingId().orElseThrow());
        assertTrue(ObjectKey.orgPrefixes(ORG).get(0).recordingId().isEmpty());
        assertEquals(ORG, ObjectKey.orgPrefixes(ORG).get(2).orgId().orElseThrow());
        assertTrue(ObjectKey.roots().get(0).orgId().isEmpty());
    }
}
