package io.castvault.core;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The digests handed out are independent of each other and of the prototype they are cloned from. */
class HashingTest {
    private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @Test
    void eachDigestStartsFresh() {
        MessageDigest first = Hashing.sha256();
        first.update("something else".getBytes(StandardCharsets.UTF_8));
        MessageDigest second = Hashing.sha256();
        second.update("abc".getBytes(StandardCharsets.UTF_8));
        assertEquals(ABC, Hashing.hex(second.digest()));
        assertEquals(ABC, Hashing.hex(Hashing.sha256("abc".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void digestsInParallelThreadsDoNotMix() throws Exception {
        List<Future<Boolean>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int t = 0; t < 8; t++) {
                byte[] data = ("thread " + t).repeat(1000).getBytes(StandardCharsets.UTF_8);
                byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 2000; i++) {
                        MessageDigest d = Hashing.sha256();
                        d.update(data, 0, data.length / 2);
                        d.update(data, data.length / 2, data.length - data.length / 2);
                        if (!MessageDigest.isEqual(expected, d.digest())) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) {
                assertEquals(true, r.get());
            }
        }
    }
}
