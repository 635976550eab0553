package io.castvault.api.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.Database;
import io.castvault.db.OrgAccess;
import io.castvault.db.OrgQueries;
import io.castvault.recording.Caller;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * Turns an authenticated user and the org named in the request into a {@link Caller}. Memberships and
 * features are cached briefly; a change in the database (from this process, the admin CLI or SQL) empties the
 * cache through the change listener.
 */
public final class AccessResolver {
    public static final String FEATURE = OrgQueries.RECORDING_FEATURE;

    private record Key(UUID userId, UUID orgId) {
    }

    private final Database db;
    private final Cache<Key, Optional<OrgAccess>> cache;

    public AccessResolver(Database db, Duration ttl) {
        this.db = db;
        this.cache = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(100_000).build();
    }

    public Caller resolve(UUID userId, UUID orgId) {
        Optional<OrgAccess> access = cache.get(new Key(userId, orgId),
                k -> db.inOrg(orgId, tx -> OrgQueries.access(tx, userId)));
        OrgAccess a = access.orElseThrow(() -> CastvaultException.forbidden("you are not a member of this org"));
        if (!a.features().contains(FEATURE)) {
            throw new CastvaultException(ErrorCode.FEATURE_DISABLED, "the org does not have the session_recording feature");
        }
        return new Caller(userId, orgId, a.role());
    }

    /** Called on any change to orgs or memberships. */
    public void invalidateAll() {
        cache.invalidateAll();
    }
}
