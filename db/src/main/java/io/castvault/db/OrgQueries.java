package io.castvault.db;

import org.jooq.Record2;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static io.castvault.db.jooq.Tables.ORGS;
import static io.castvault.db.jooq.Tables.ORG_MEMBERSHIPS;
import static io.castvault.db.jooq.Tables.ORG_SETTINGS;
import static io.castvault.db.jooq.Tables.USERS;

/** Orgs, users and memberships. */
public final class OrgQueries {
    /** The org feature that enables session recording at all. */
    public static final String RECORDING_FEATURE = "session_recording";

    private OrgQueries() {
    }

    public static void createOrg(Tx tx, UUID orgId, String name, Set<String> features) {
        tx.dsl().insertInto(ORGS, ORGS.ID, ORGS.NAME, ORGS.FEATURES)
                .values(orgId, name, features.stream().sorted().toArray(String[]::new))
                .execute();
        tx.dsl().insertInto(ORG_SETTINGS, ORG_SETTINGS.ORG_ID).values(orgId).execute();
    }

    public static boolean orgExists(Tx tx, UUID orgId) {
        return tx.dsl().fetchExists(ORGS, ORGS.ID.eq(orgId));
    }

    /** Creates the user when new; an existing user keeps their name unless one is given. */
    public static void upsertUser(Tx tx, UUID userId, String name) {
        tx.dsl().insertInto(USERS, USERS.ID, USERS.NAME).values(userId, name)
                .onConflict(USERS.ID).doUpdate()
                .set(USERS.NAME, name == null ? USERS.NAME : org.jooq.impl.DSL.val(name))
                .execute();
    }

    public static boolean userExists(Tx tx, UUID userId) {
        return tx.dsl().fetchExists(USERS, USERS.ID.eq(userId));
    }

    public static void putMembership(Tx tx, UUID userId, Role role) {
        UUID orgId = tx.requireOrg();
        tx.dsl().insertInto(ORG_MEMBERSHIPS, ORG_MEMBERSHIPS.ORG_ID, ORG_MEMBERSHIPS.USER_ID, ORG_MEMBERSHIPS.ROLE)
                .values(orgId, userId, role.dbValue())
                .onConflict(ORG_MEMBERSHIPS.ORG_ID, ORG_MEMBERSHIPS.USER_ID).doUpdate()
                .set(ORG_MEMBERSHIPS.ROLE, role.dbValue())
                .execute();
    }

    /** The caller's role and the org's features, or empty when the user is not a member (or the org is unknown). */
    public static Optional<OrgAccess> access(Tx tx, UUID userId) {
        UUID orgId = tx.requireOrg();
        Record2<String, String[]> row = tx.dsl().select(ORG_MEMBERSHIPS.ROLE, ORGS.FEATURES)
                .from(ORG_MEMBERSHIPS).join(ORGS).on(ORGS.ID.eq(ORG_MEMBERSHIPS.ORG_ID))
                .where(ORG_MEMBERSHIPS.ORG_ID.eq(orgId).and(ORG_MEMBERSHIPS.USER_ID.eq(userId)))
                .fetchOne();
        if (row == null) {
            return Optional.empty();
        }
        Role role = Role.parse(row.value1()).orElseThrow();
        return Optional.of(new OrgAccess(role, Set.copyOf(Arrays.asList(row.value2()))));
    }

    /** Orgs the user belongs to, with their role; spans orgs, so it needs an all-orgs transaction. */
    public static List<Membership> membershipsOf(Tx tx, UUID userId) {
        return tx.dsl().select(ORGS.ID, ORGS.NAME, ORG_MEMBERSHIPS.ROLE)
                .from(ORG_MEMBERSHIPS).join(ORGS).on(ORGS.ID.eq(ORG_MEMBERSHIPS.ORG_ID))
                .where(ORG_MEMBERSHIPS.USER_ID.eq(userId))
                .orderBy(ORGS.NAME, ORGS.ID)
                .fetch(r -> new Membership(r.value1(), r.value2(), Role.parse(r.value3()).orElseThrow()));
    }

    public record Membership(UUID orgId, String orgName, Role role) {
    }
}
