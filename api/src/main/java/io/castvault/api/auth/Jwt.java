package io.castvault.api.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.core.Hashing;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * HS256 bearer tokens: {@code sub} is the user's canonical UUID and {@code exp} is required, at most
 * {@code maxLifetime} after the token was issued (or, without {@code iat}, after now): a leaked token stays useful
 * for a bounded time, however long its issuer asked for.
 */
public final class Jwt {
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(24);
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    private static final Pattern CANONICAL_UUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final byte[] secret;
    private final Clock clock;
    private final Duration maxLifetime;
    /**
     * Tokens that passed {@link #verifyFully}, by their SHA-256: a client sends the same token with every request,
     * and parsing it and checking its MAC was about a tenth of the service's CPU for a {@code list}. Only the expiry
     * is checked again on a hit (the other checks cannot turn from passed to failed as time goes on: a token whose
     * {@code nbf} lies ahead failed and was not remembered). Keyed by digest, not by the token, so no lookup
     * compares a presented token with a valid one character by character.
     */
    private final Cache<String, Verified> verified = Caffeine.newBuilder()
            .maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(5)).build();

    private record Verified(UUID user, Instant expires) {
    }

    public Jwt(String secret, Clock clock) {
        this(secret, clock, DEFAULT_MAX_LIFETIME);
    }

    public Jwt(String secret, Clock clock, Duration maxLifetime) {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        if (this.secret.length < 32) {
            throw new IllegalArgumentException("AUTH_JWT_SECRET must be at least 32 bytes");
        }
        if (maxLifetime.isNegative() || maxLifetime.isZero()) {
            throw new IllegalArgumentException("AUTH_JWT_MAX_LIFETIME must be positive");
        }
        this.clock = clock;
        this.maxLifetime = maxLifetime;
    }

    public Duration maxLifetime() {
        return maxLifetime;
    }

    public String issue(UUID userId, Duration ttl) {
        if (ttl.compareTo(maxLifetime) > 0) {
            throw new IllegalArgumentException("a token may live at most " + maxLifetime.toSeconds()
                    + " seconds (AUTH_JWT_MAX_LIFETIME)");
        }
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(userId.toString())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(new MACSigner(secret));
        } catch (JOSEException e) {
            throw new IllegalStateException("signing failed", e);
        }
        return jwt.serialize();
    }

    /** The user the token speaks for; anything wrong with it is 401 UNAUTHORIZED. */
    public UUID verify(String token) {
        String key = Base64.getEncoder().encodeToString(Hashing.sha256(token.getBytes(StandardCharsets.UTF_8)));
        Instant now = clock.instant();
        Verified known = verified.getIfPresent(key);
        if (known == null) {
            known = verifyFully(token, now);
            verified.put(key, known);
        } else if (known.expires().plus(CLOCK_SKEW).isBefore(now)) {
            verified.invalidate(key);
            throw unauthorized("token expired");
        }
        return known.user();
    }

    private Verified verifyFully(String token, Instant now) {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            throw unauthorized("malformed token");
        }
        // Only HS256: a token cannot choose a weaker algorithm (or "none") for itself.
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
            throw unauthorized("token must be signed with HS256");
        }
        try {
            if (!jwt.verify(new MACVerifier(secret))) {
                throw unauthorized("bad token signature");
            }
        } catch (JOSEException e) {
            throw unauthorized("bad token signature");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw unauthorized("malformed token claims");
        }
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw unauthorized("token has no expiry");
        }
        if (exp.toInstant().plus(CLOCK_SKEW).isBefore(now)) {
            throw unauthorized("token expired");
        }
        Date iat = claims.getIssueTime();
        Instant issued = iat == null || iat.toInstant().isAfter(now) ? now : iat.toInstant();
        if (Duration.between(issued, exp.toInstant()).compareTo(maxLifetime.plus(CLOCK_SKEW)) > 0) {
            throw unauthorized("token lives longer than the allowed " + maxLifetime.toSeconds() + " seconds");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().minus(CLOCK_SKEW).isAfter(now)) {
            throw unauthorized("token not valid yet");
        }
        String sub = claims.getSubject();
        // UUID.fromString also accepts short forms ("1-1-1-1-1"); one user must have exactly one subject
        if (sub == null || !CANONICAL_UUID.matcher(sub).matches()) {
            throw unauthorized("token subject must be a user UUID");
        }
        return new Verified(UUID.fromString(sub), exp.toInstant());
    }

    private static CastvaultException unauthorized(String why) {
        return new CastvaultException(ErrorCode.UNAUTHORIZED, why);
    }
}
