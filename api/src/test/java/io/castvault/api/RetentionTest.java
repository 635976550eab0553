package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.db.Database;
import io.castvault.db.DatabaseSettings;
import io.castvault.db.RecordingQueries;
import io.castvault.recording.UseCases;
import io.castvault.recording.RetentionService;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.S3BlobStore;
import io.castvault.storage.S3Settings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.castvault.api.SettingsAndAuthTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 5: retention from both tiers, exact, org-scoped, crash-safe and safe with several sweepers. */
class RetentionTest extends ServiceTest {

    /** A completed recording with two chunks and a summary, started {@code ageHours} ago by the database clock. */
    static UUID recording(TestApp app, TestOrg org, double ageHours) {
        UUID id = org.start(org.adminId());
        org.upload(org.adminId(), id, 0, RecordingLifecycleTest.CHUNK0);
        org.upload(org.adminId(), id, 1, RecordingLifecycleTest.CHUNK1);
        assertEquals(200, org.complete(org.adminId(), id).status());
        backdate(app, id, ageHours);
        return id;
    }

    static void backdate(TestApp app, UUID id, double ageHours) {
        app.db().acrossOrgs(tx -> {
            io.castvault.db.TestSql.execute(tx, "UPDATE session_recordings SET started_at = now() - make_interval(secs => ?) WHERE id = ?",
                    ageHours * 3600, id);
            io.castvault.db.TestSql.execute(tx, "UPDATE recording_chunks SET created_at = now() - make_interval(secs => ?) WHERE recording_id = ?",
                    ageHours * 3600, id);
            return null;
        });
    }

    /**
     * Whether the recording has left both tiers. Its objects go after its row (retention removes the row and keeps
     * a removal naming the objects; the delete action marks the row {@code deleting} and deletes it last), so a
     * recording without its row or removal must have no objects left, and one whose row is there with its objects
     * gone must at least be marked {@code deleting}: every recording here has objects while it is kept.
     */
    static boolean gone(TestApp app, TestOrg org, UUID id) {
        // one statement: a sweeper running meanwhile may finish a removal between two reads
        String named = app.db().acrossOrgs(tx -> io.castvault.db.TestSql.text(tx, """
                SELECT coalesce((SELECT status FROM session_recordings WHERE id = ?),
                                (SELECT 'removed' FROM object_removals o, jsonb_array_elements(o.recordings) e
                                 WHERE e->>'id' = ? LIMIT 1),
                                'gone')""",
                id, id.toString()));
        boolean noObjects = ObjectKey.recordingPrefixes(org.orgId(), id).stream().allMatch(p -> app.blobs().list(p).isEmpty());
        if ("gone".equals(named)) {
            assertTrue(noObjects, "a recording no row names any longer has no objects left: " + id);
            return true;
        }
        if (noObjects && !"removed".equals(named)) {
            assertEquals("deleting", named, "a recording whose objects are gone is at least hidden: " + id);
        }
        return false;
    }

    @Test
    void expiredRecordingsLeaveBothTiersAndFreshOnesStay() {
        TestOrg org = app.newOrg(true); // default retention: 90 days
        UUID expired = recording(app, org, 90 * 24 + 1);
        UUID fresh = recording(app, org, 89 * 24);
        RetentionService.SweepReport report = app.bean(RetentionService.class).sweep();
        assertTrue(report.recordingsDeleted() >= 1, report.toString());
        assertTrue(gone(app, org, expired));
        assertTrue(!gone(app, org, fresh));
        assertEquals(200, org.asAdmin(Map.of("action", "get", "session_id", fresh.toString())).status());
        // sealed: one object (recording.cast) instead of its chunks
        assertEquals(List.of(ObjectKey.cast(org.orgId(), fresh)),
                app.blobs().list(ObjectKey.recordingPrefixes(org.orgId(), fresh).get(0)));
    }

    @Test
    void clampedRetentionIsHonoured() {
        TestOrg org = app.newOrg(true);
        org.asAdmin(Map.of("action", "update_settings", "retention_days", 0)); // clamped to 1 day
        UUID dayAndHour = recording(app, org, 25);
        UUID almostDay = recording(app, org, 23);
        TestApp.Response r = org.asAdmin(Map.of("action", "cleanup"));
        assertEquals(200, r.status(), r.body());
        assertEquals(1, r.data().get("deleted").asInt());
        assertTrue(gone(app, org, dayAndHour));
        assertTrue(!gone(app, org, almostDay));
    }

    @Test
    void cleanupIsIdempotentAndTouchesOnlyItsOrg() {
        TestOrg a = app.newOrg(true);
        TestOrg b = app.newOrg(true);
        a.asAdmin(Map.of("action", "update_settings", "retention_days", 30));
        b.asAdmin(Map.of("action", "update_settings", "retention_days", 30));
        UUID a1 = recording(app, a, 31 * 24);
        UUID a2 = recording(app, a, 40 * 24);
        UUID b1 = recording(app, b, 31 * 24);
        assertEquals(2, a.asAdmin(Map.of("action", "cleanup")).data().get("deleted").asInt());
        assertEquals(0, a.asAdmin(Map.of("action", "cleanup")).data().get("deleted").asInt());
        assertTrue(gone(app, a, a1) && gone(app, a, a2));
        assertTrue(!gone(app, b, b1), "another org's expired recording waits for its own cleanup");
        assertError(b.asMember(Map.of("action", "cleanup")), 403, "FORBIDDEN");
        assertEquals(1, b.asAdmin(Map.of("action", "cleanup")).data().get("deleted").asInt());
    }

    @Test
    void threeConcurrentSweepersDeleteEachRecordingExactlyOnce() throws Exception {
        TestOrg org = app.newOrg(true);
        int n = 60;
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(recording(app, org, 91 * 24));
        }
        // three independent "instances": own pools and S3 clients, same database and bucket
        List<RetentionService> sweepers = new ArrayList<>();
        List<AutoCloseable> resources = new ArrayList<>();
        DatabaseSettings dbSettings = app.bean(io.castvault.api.config.DatabaseConfig.class).settings();
        S3Settings s3Settings = app.bean(io.castvault.api.config.S3Config.class).settings();
        for (int i = 0; i < 3; i++) {
            Database db = Database.connect(dbSettings);
            S3BlobStore blobs = new S3BlobStore(s3Settings);
            resources.add(db);
            resources.add(blobs);
            sweepers.add(UseCases.wire(db, blobs, UseCases.Settings.defaults(s3Settings.callTimeout())).retention());
        }
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<RetentionService.SweepReport>> runs = new ArrayList<>();
            for (RetentionService s : sweepers) {
                runs.add(pool.submit((Callable<RetentionService.SweepReport>) s::sweep));
            }
            int deleted = 0;
            for (Future<RetentionService.SweepReport> f : runs) {
                RetentionService.SweepReport report = f.get();
                assertEquals(0, report.recordingsPending(), report.toString());
                deleted += report.recordingsDeleted();
            }
            assertEquals(n, deleted, "each recording counted by exactly one sweeper");
        } finally {
            pool.shutdown();
            for (AutoCloseable r : resources) {
                r.close();
            }
        }
        for (UUID id : ids) {
            assertTrue(gone(app, org, id));
        }
    }

    @Test
    void anAbandonedRecordingIsCompletedFromTheChunksItHas() {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        org.upload(org.memberId(), id, 0, RecordingLifecycleTest.CHUNK0);
        org.upload(org.memberId(), id, 2, "[7, \"o\", \"bye\"]");
        UUID recent = org.start(org.memberId());
        org.upload(org.memberId(), recent, 0, RecordingLifecycleTest.CHUNK0);
        backdate(app, id, 25);
        app.db().acrossOrgs(tx -> io.castvault.db.TestSql.execute(tx,
                "UPDATE session_recordings SET started_at = now() - interval '25 hours' WHERE id = ?", recent));

        RetentionService.SweepReport report = app.bean(RetentionService.class).sweep();
        assertTrue(report.autoCompleted() >= 1, report.toString());
        JsonNode got = org.asAdmin(Map.of("action", "get", "session_id", id.toString())).data();
        assertEquals("completed", got.get("recording").get("status").asText());
        assertEquals(true, got.get("recording").get("metadata").get("auto_completed").asBoolean());
        assertEquals("[[1,1]]", got.get("r2_data").get("missing_chunks").toString());
        assertEquals(7, got.get("r2_data").get("duration_seconds").asInt());
        assertEquals(true, got.get("r2_data").get("auto_completed").asBoolean());
        // a recording that received a chunk recently is not abandoned, however old its start
        assertEquals("active", org.asAdmin(Map.of("action", "get", "session_id", recent.toString()))
                .data().get("recording").get("status").asText());
    }

    @Test
    void theScheduledSweeperRunsOnItsOwn() throws Exception {
        try (TestApp scheduled = TestApp.start(Map.of("castvault.retention.initial-delay", "1s",
                "castvault.retention.sweep-interval", "1s"), false)) {
            TestOrg org = scheduled.newOrg(true);
            UUID old = recording(scheduled, org, 100 * 24);
            long deadline = System.currentTimeMillis() + 15_000;
            while (!gone(scheduled, org, old) && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
            assertTrue(gone(scheduled, org, old));
        }
    }

    @Test
    void aSweepDuringAnOutageLosesNothingAndTheNextRunFinishes() throws Exception {
        try (TestApp relayed = TestApp.startBehindRelay()) {
            TestOrg org = relayed.newOrg(true);
            UUID old = recording(relayed, org, 100 * 24);
            UUID fresh = recording(relayed, org, 1);
            relayed.relay().cut();
            RetentionService.SweepReport during = relayed.bean(RetentionService.class).sweep();
            assertEquals(0, during.recordingsDeleted(), during.toString());
            assertEquals(1, during.recordingsPending(), during.toString());
            assertError(org.asAdmin(Map.of("action", "get", "session_id", old.toString())), 404, "NOT_FOUND");
            assertError(org.asAdmin(Map.of("action", "cleanup")), 503, "STORAGE_UNAVAILABLE");
            relayed.relay().restore();
            RetentionService.SweepReport after = relayed.bean(RetentionService.class).sweep();
            assertEquals(1, after.recordingsDeleted(), after.toString());
            assertTrue(gone(relayed, org, old));
            assertTrue(!gone(relayed, org, fresh));
        }
    }
}
