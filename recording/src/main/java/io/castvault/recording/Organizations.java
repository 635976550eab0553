package io.castvault.recording;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.Database;
import io.castvault.db.OrgAccess;
import io.castvault.db.OrgQueries;
import io.castvault.db.Role;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Orgs and their members: the operator's writes (the admin CLI, fixtures), the memberships a user sees, and the
 * turning of an authenticated user and the org a request names into a {@link Caller}. Memberships and features
 * are cached briefly for that last step; a change in the database (from this process, the admin CLI or SQL)
 * empties the cache through the change listener, which calls {@link #invalidateAll()}.
 */
public final class Organizations {
    private record Key(UUID userId, UUID orgId) {
    }

    private final Database db;
    private final Cache<Key, Optional<OrgAccess>> access;

    /** For one-shot callers (the admin CLI, fixtures) that never resolve the same access twice: nothing is cached. */
    public Organizations(Database db) {
        this(db, Duration.ZERO);
    }

    /** @param accessCacheTtl bounds how stale a membership may be should a change notification be lost */
    public Organizations(Database db, Duration accessCacheTtl) {
        this.db = db;
        this.access = Caffeine.newBuilder().expireAfterWrite(accessCacheTtl).maximumSize(100_000).build();
    }

    /** A new org; without the session_recording feature none of its members may use the recording routes. */
    public UUID create(String name, boolean withRecordingFeature) {
        UUID id = UUID.randomUUID();
        Set<String> features = withRecordingFeature ? Set.of(OrgQueries.RECORDING_FEATURE) : Set.of();
        db.acrossOrgs(tx -> {
            OrgQueries.createOrg(tx, id, name, features);
            return null;
        });
        return id;
    }

    /**
     * Adds (or changes) a membership, creating the user when new.
     *
     * @param userId null for a new user with a fresh id
     * @param name   null keeps an existing user's name
     * @return the user's id
     */
    public UUID addUser(UUID orgId, Role role, UUID userId, String name) {
        UUID user = userId != null ? userId : UUID.randomUUID();
        db.inOrg(orgId, tx -> {
            if (!OrgQueries.orgExists(tx, orgId)) {
                throw CastvaultException.notFound("org " + orgId);
            }
            OrgQueries.upsertUser(tx, user, name);
            OrgQueries.putMembership(tx, user, role);
            return null;
        });
        // this process sees its own change at once; others learn of it through the change listener
        invalidateAll();
        return user;
    }

    /** The orgs the user belongs to, with their role in each, by org name. */
    public List<OrgQueries.Membership> membershipsOf(UUID userId) {
        return db.acrossOrgs(tx -> OrgQueries.membershipsOf(tx, userId));
    }

    /**
     * The user acting in the org. An unknown org is refused like one the user is not a member of, so a caller
     * cannot probe which org ids exist.
     */
    public Caller caller(UUID userId, UUID orgId) {
        OrgAccess a = access.get(new Key(userId, orgId), k -> db.inOrg(orgId, tx -> OrgQueries.access(tx, userId)))
                .orElseThrow(() -> CastvaultException.forbidden("you are not a member of this org"));
        if (!a.features().contains(OrgQueries.RECORDING_FEATURE)) {
            throw new CastvaultException(ErrorCode.FEATURE_DISABLED, "the org does not have the session_recording feature");
        }
        return new Caller(userId, orgId, a.role());
    }

    /** Called on any change to orgs or memberships. */
    public void invalidateAll() {
        access.invalidateAll();
    }
}
