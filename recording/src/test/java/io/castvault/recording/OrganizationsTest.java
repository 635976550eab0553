package io.castvault.recording;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.castvault.db.Database;
import io.castvault.db.OrgQueries;
import io.castvault.db.Role;
import io.castvault.db.TestSql;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Orgs, memberships and access on the real PostgreSQL with row-level security on. */
class OrganizationsTest {
    static Database db;

    @BeforeAll
    static void database() {
        db = TestTenant.empty(4);
    }

    @AfterAll
    static void close() {
        db.close();
    }

    /** A membership written the way another process (the admin CLI, SQL) would: this process is not told. */
    static void putMembershipElsewhere(UUID orgId, UUID userId, Role role) {
        db.inOrg(orgId, tx -> {
            OrgQueries.upsertUser(tx, userId, null);
            OrgQueries.putMembership(tx, userId, role);
            return null;
        });
    }

    static CastvaultException refused(ErrorCode code, Runnable call) {
        CastvaultException e = assertThrows(CastvaultException.class, call::run);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    @Test
    void createsOrgsWithOrWithoutTheRecordingFeature() {
        Organizations orgs = new Organizations(db);
        UUID with = orgs.create("with", true);
        UUID without = orgs.create("without", false);
        String sql = "SELECT array_to_string(features, ',') FROM orgs WHERE id = ?";
        assertEquals(OrgQueries.RECORDING_FEATURE, db.acrossOrgs(tx -> TestSql.text(tx, sql, with)));
        assertEquals("", db.acrossOrgs(tx -> TestSql.text(tx, sql, without)));
        // each org starts with its settings row
        long settingsRows = db.acrossOrgs(tx -> TestSql.count(tx, "SELECT count(*) FROM org_settings WHERE org_id = ?", without));
        assertEquals(1, settingsRows);
    }

    @Test
    void listsAUsersMembershipsByOrgNameWithTheRoleInEach() {
        Organizations orgs = new Organizations(db);
        String prefix = UUID.randomUUID().toString();
        UUID b = orgs.create(prefix + "-b", true);
        UUID a = orgs.create(prefix + "-a", false);
        UUID elsewhere = orgs.create(prefix + "-c", true);
        UUID user = orgs.addUser(b, Role.AUDITOR, null, "ann");
        assertEquals(user, orgs.addUser(a, Role.ADMIN, user, null));
        orgs.addUser(elsewhere, Role.MEMBER, null, "someone else");

        assertEquals(List.of(new OrgQueries.Membership(a, prefix + "-a", Role.ADMIN),
                new OrgQueries.Membership(b, prefix + "-b", Role.AUDITOR)), orgs.membershipsOf(user));
        assertEquals(List.of(), orgs.membershipsOf(UUID.randomUUID()));
        // a null name kept the name the user was created with
        assertEquals("ann", db.acrossOrgs(tx -> TestSql.text(tx, "SELECT name FROM users WHERE id = ?", user)));
    }

    @Test
    void addingAUserAgainChangesTheirRole() {
        Organizations orgs = new Organizations(db);
        UUID org = orgs.create("roles", true);
        UUID user = orgs.addUser(org, Role.MEMBER, null, "bob");
        orgs.addUser(org, Role.ADMIN, user, "robert");
        assertEquals(List.of(new OrgQueries.Membership(org, "roles", Role.ADMIN)), orgs.membershipsOf(user));
        assertEquals("robert", db.acrossOrgs(tx -> TestSql.text(tx, "SELECT name FROM users WHERE id = ?", user)));
    }

    @Test
    void addingAUserToAnUnknownOrgIsNotFoundAndCreatesNoUser() {
        UUID user = UUID.randomUUID();
        UUID unknown = UUID.randomUUID();
        CastvaultException e = refused(ErrorCode.NOT_FOUND,
                () -> new Organizations(db).addUser(unknown, Role.ADMIN, user, "ghost"));
        assertTrue(e.getMessage().contains(unknown.toString()), e.getMessage());
        boolean created = db.acrossOrgs(tx -> OrgQueries.userExists(tx, user));
        assertFalse(created);
    }

    @Test
    void aMemberActsWithTheirRoleInThatOrgOnly() {
        Organizations orgs = new Organizations(db, Duration.ofMinutes(5));
        UUID org = orgs.create("access", true);
        UUID other = orgs.create("other", true);
        UUID user = orgs.addUser(org, Role.AUDITOR, null, "carol");

        Caller caller = orgs.caller(user, org);
        assertEquals(new Caller(user, org, Role.AUDITOR), caller);

        CastvaultException notMember = refused(ErrorCode.FORBIDDEN, () -> orgs.caller(user, other));
        assertEquals("you are not a member of this org", notMember.getMessage());
        // an unknown org looks the same as one the user does not belong to
        CastvaultException unknown = refused(ErrorCode.FORBIDDEN, () -> orgs.caller(user, UUID.randomUUID()));
        assertEquals("you are not a member of this org", unknown.getMessage());
    }

    @Test
    void anOrgWithoutTheFeatureRefusesEvenItsAdmins() {
        Organizations orgs = new Organizations(db, Duration.ofMinutes(5));
        UUID org = orgs.create("no feature", false);
        UUID admin = orgs.addUser(org, Role.ADMIN, null, "dan");
        CastvaultException e = refused(ErrorCode.FEATURE_DISABLED, () -> orgs.caller(admin, org));
        assertEquals("the org does not have the session_recording feature", e.getMessage());
    }

    @Test
    void accessIsCachedUntilTheChangeListenerInvalidatesIt() {
        Organizations orgs = new Organizations(db, Duration.ofHours(1));
        UUID org = orgs.create("cached", true);
        UUID member = orgs.addUser(org, Role.MEMBER, null, "erin");
        UUID outsider = UUID.randomUUID();
        assertEquals(Role.MEMBER, orgs.caller(member, org).role());
        refused(ErrorCode.FORBIDDEN, () -> orgs.caller(outsider, org));

        // changed from another process: the cached answers stand, refusals included
        putMembershipElsewhere(org, member, Role.ADMIN);
        putMembershipElsewhere(org, outsider, Role.AUDITOR);
        assertEquals(Role.MEMBER, orgs.caller(member, org).role());
        refused(ErrorCode.FORBIDDEN, () -> orgs.caller(outsider, org));

        // what the change listener does on any change to orgs or memberships
        orgs.invalidateAll();
        assertEquals(Role.ADMIN, orgs.caller(member, org).role());
        assertEquals(Role.AUDITOR, orgs.caller(outsider, org).role());
    }

    @Test
    void aMembershipWrittenThroughTheSameInstanceAppliesAtOnce() {
        Organizations orgs = new Organizations(db, Duration.ofHours(1));
        UUID org = orgs.create("same instance", true);
        UUID user = UUID.randomUUID();
        refused(ErrorCode.FORBIDDEN, () -> orgs.caller(user, org));
        orgs.addUser(org, Role.MEMBER, user, "fay");
        assertEquals(Role.MEMBER, orgs.caller(user, org).role());
    }

    @Test
    void withoutACacheEveryResolutionReadsTheDatabase() {
        Organizations orgs = new Organizations(db);
        UUID org = orgs.create("uncached", true);
        UUID user = orgs.addUser(org, Role.MEMBER, null, "gus");
        assertEquals(Role.MEMBER, orgs.caller(user, org).role());
        putMembershipElsewhere(org, user, Role.ADMIN);
        assertEquals(Role.ADMIN, orgs.caller(user, org).role());
    }
}
