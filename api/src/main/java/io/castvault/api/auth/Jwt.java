package io.castvault.api.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/** HS256 bearer tokens: {@code sub} is the user's UUID and {@code exp} is required. */
public final class Jwt {
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

    private final byte[] secret;
    private final Clock clock;

    public Jwt(String secret, Clock clock) {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        if (this.secret.length < 32) {
            throw new IllegalArgumentException("AUTH_JWT_SECRET must be at least 32 bytes");
        }
        this.clock = clock;
    }

    public String issue(UUID userId, Duration ttl) {
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
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw unauthorized("token has no expiry");
        }
        if (exp.toInstant().plus(CLOCK_SKEW).isBefore(now)) {
            throw unauthorized("token expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().minus(CLOCK_SKEW).isAfter(now)) {
            throw unauthorized("token not valid yet");
        }
        String sub = claims.getSubject();
        try {
            return UUID.fromString(sub);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw unauthorized("token subject must be a user UUID");
        }
    }

    private static CastvaultException unauthorized(String why) {
        return new CastvaultException(ErrorCode.UNAUTHORIZED, why);
    }
}
