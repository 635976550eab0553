package io.castvault.api.auth;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A token verified once is remembered; what is remembered must never let through what verification would refuse. */
class JwtTest {
    private static final String SECRET = "jwt-test-secret-0123456789abcdef-0123456789";

    /** A clock the test moves. */
    static final class Hands extends Clock {
        Instant now = Instant.parse("2026-11-26T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static void assertUnauthorized(Runnable r) {
        CastvaultException e = assertThrows(CastvaultException.class, r::run);
        assertEquals(ErrorCode.UNAUTHORIZED, e.code(), e.getMessage());
    }

    @Test
    void aRememberedTokenStillExpiresOnTime() {
        Hands clock = new Hands();
        Jwt jwt = new Jwt(SECRET, clock);
        UUID user = UUID.randomUUID();
        String token = jwt.issue(user, Duration.ofMinutes(10));
        assertEquals(user, jwt.verify(token));
        assertEquals(user, jwt.verify(token), "the second time from memory");
        clock.now = clock.now.plus(Duration.ofMinutes(10)).plusSeconds(29);
        assertEquals(user, jwt.verify(token), "within the clock skew allowed after expiry");
        clock.now = clock.now.plusSeconds(2);
        assertUnauthorized(() -> jwt.verify(token));
        assertUnauthorized(() -> jwt.verify(token));
    }

    @Test
    void aTokenDifferingFromARememberedOneIsVerifiedOnItsOwn() {
        Hands clock = new Hands();
        Jwt jwt = new Jwt(SECRET, clock);
        UUID user = UUID.randomUUID();
        String token = jwt.issue(user, Duration.ofMinutes(10));
        assertEquals(user, jwt.verify(token));
        // the same header and claims with another signature, and a signature that is cut short
        int dot = token.lastIndexOf('.');
        // a character inside the signature: the last one carries padding bits a decoder may ignore
        int at = dot + 10;
        String otherSignature = token.substring(0, at) + (token.charAt(at) == 'A' ? 'B' : 'A') + token.substring(at + 1);
        assertUnauthorized(() -> jwt.verify(otherSignature));
        assertUnauthorized(() -> jwt.verify(token.substring(0, dot + 5)));
        // signed with another secret: same claims, not remembered
        String foreign = new Jwt(SECRET.replace('0', '1'), clock).issue(user, Duration.ofMinutes(10));
        assertUnauthorized(() -> jwt.verify(foreign));
        assertEquals(user, jwt.verify(token));
    }

    @Test
    void aTokenRefusedOnceIsNotRememberedAsGood() {
        Hands clock = new Hands();
        Jwt jwt = new Jwt(SECRET, clock);
        UUID user = UUID.randomUUID();
        // issued by a clock ahead of ours with a not-before: refused now, and still refused when asked again
        Hands ahead = new Hands();
        ahead.now = clock.now.plus(Duration.ofHours(1));
        String early = new Jwt(SECRET, ahead).issue(user, Duration.ofMinutes(10));
        clock.now = ahead.now.plus(Duration.ofMinutes(11));
        assertUnauthorized(() -> jwt.verify(early));
        clock.now = ahead.now;
        assertEquals(user, jwt.verify(early), "valid at its own time");
    }
}
