package io.castvault.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.castvault.db.GatewaySessionQueries;
import io.castvault.db.TestSql;
import io.castvault.events.SessionEndConsumer;
import io.castvault.testing.TcpRelay;
import io.castvault.testing.TestNats;
import io.castvault.testing.TestPostgres;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StreamConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 003: the gateway's audit.session.end events become ssh_session_end entries with the duration and seal
 * the recording the session names; bad events are terminated and counted; a database outage is ridden out.
 */
class SessionEndConsumerTest {
    private static TestNats nats;
    private static TcpRelay dbRelay;
    private static TestApp app;
    private static Connection gateway;
    private static JetStream js;
    /**
     * Held open directly (not through the relay) for the whole class: while the relay is cut the database would
     * otherwise have no session, and a scripts/test run of another checkout drops idle cv_test_* databases.
     */
    private static java.sql.Connection keepAlive;

    @BeforeAll
    static void start() throws Exception {
        nats = TestNats.start();
        gateway = Nats.connect(nats.url());
        gateway.jetStreamManagement().addStream(StreamConfiguration.builder().name("DEVICE_EVENTS")
                .subjects("audit.>").build());
        js = gateway.jetStream();
        TestPostgres.Coordinates db = TestPostgres.instance().freshDatabase();
        keepAlive = java.sql.DriverManager.getConnection(db.url(), db.user(), db.password());
        TestPostgres pg = TestPostgres.instance();
        dbRelay = new TcpRelay(URI.create("tcp://" + pg.host() + ":" + pg.port()));
        String viaRelay = "jdbc:postgresql://127.0.0.1:" + dbRelay.uri().getPort() + db.url().substring(db.url().lastIndexOf('/'));
        app = TestApp.start(Map.of(
                "castvault.database.url", viaRelay,
                "castvault.database.user", db.user(),
                "castvault.database.password", db.password(),
                "castvault.events.nats-url", nats.url(),
                "castvault.events.max-deliveries", 3,
                "castvault.events.nak-delay", "300ms"), false);
        EventStream.await("the consumer to bind", Duration.ofSeconds(30), SessionEndConsumerTest::bound);
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
        gateway.close();
        dbRelay.close();
        nats.close();
        keepAlive.close();
    }

    private static boolean bound() {
        return "bound".equals(app.bean(EventsRuntime.class).health().orElseThrow().get("session_end_consumer"));
    }

    private static SessionEndConsumer.Stats stats() {
        return app.bean(EventsRuntime.class).consumerStats().orElseThrow();
    }

    private static void publish(UUID device, String body) throws Exception {
        js.publish("audit.session.end." + device, body.getBytes(StandardCharsets.UTF_8));
    }

    private static String sessionEnd(TestOrg org, String sessionId, Instant start, Instant end) {
        ObjectNode n = TestApp.object();
        n.put("session_id", sessionId);
        n.put("user_id", org.memberId().toString());
        n.put("tenant_id", org.orgId().toString());
        n.put("device_id", org.machine().machineId().toString());
        n.put("start_time", start.toString());
        n.put("end_time", end.toString());
        n.put("source_ip", "203.0.113.7");
        n.put("reason", "normal");
        return n.toString();
    }

    private static Optional<GatewaySessionQueries.SessionEnd> entry(TestOrg org, String sessionId) {
        return app.db().inOrg(org.orgId(), tx -> GatewaySessionQueries.findSessionEnd(tx, sessionId));
    }

    /** The audit trail's ssh_session_end entries of one gateway session. */
    private static org.jooq.Result<org.jooq.Record> auditEntries(TestOrg org, String sessionId) {
        return app.db().inOrg(org.orgId(), tx -> TestSql.rows(tx,
                "SELECT actor_type, target_id, outcome, (details->>'duration_seconds')::float8 AS duration,"
                        + " details->>'end_time' AS end_time FROM audit_log"
                        + " WHERE action = 'ssh_session_end' AND details->>'gateway_session_id' = ?", sessionId));
    }

    private static UUID startGatewaySession(TestOrg org, String gatewaySessionId) {
        TestApp.Response r = org.asMember(Map.of("action", "start", "machine_id", org.machine().machineId().toString(),
                "session_type", "ssh", "gateway_session_id", gatewaySessionId));
        assertEquals(201, r.status(), r.body());
        UUID id = UUID.fromString(r.data().get("session_id").asText());
        assertEquals(200, org.upload(org.memberId(), id, 0, "[0.1, \"o\", \"$ \"]").status());
        return id;
    }

    /** False while the database is still unavailable (the pool reconnects a moment after the relay is restored). */
    private static boolean answers(java.util.function.BooleanSupplier check) {
        try {
            app.db().ping();
            return check.getAsBoolean();
        } catch (io.castvault.core.CastvaultException e) {
            return false;
        }
    }

    private static String status(UUID recording) {
        return app.db().acrossOrgs(tx -> TestSql.text(tx, "SELECT status FROM session_recordings WHERE id = ?", recording));
    }

    @Test
    void aSessionEndWritesTheAuditEntryAndSealsTheRecordingOnce() throws Exception {
        TestOrg org = app.newOrg(true);
        String gw = "gw-" + UUID.randomUUID();
        UUID recording = startGatewaySession(org, gw);
        Instant end = Instant.parse("2026-11-25T10:01:35Z");
        String event = sessionEnd(org, gw, Instant.parse("2026-11-25T10:00:00Z"), end);
        long handledBefore = stats().handled();
        publish(org.machine().machineId(), event);

        EventStream.await("the audit entry", Duration.ofSeconds(30), () -> entry(org, gw).isPresent());
        GatewaySessionQueries.SessionEnd e = entry(org, gw).orElseThrow();
        assertEquals(95.0, e.durationSeconds());
        assertEquals(recording, e.recordingId());
        assertEquals(org.memberId(), e.userId());
        assertEquals(org.machine().machineId(), e.deviceId());
        assertEquals("203.0.113.7", e.sourceIp());
        assertEquals("normal", e.reason());
        assertEquals("completed", status(recording));
        long endedAt = app.db().acrossOrgs(tx -> TestSql.count(tx,
                "SELECT extract(epoch FROM ended_at)::bigint FROM session_recordings WHERE id = ?", recording));
        assertEquals(end.getEpochSecond(), endedAt, "sealed with the gateway's end time");
        assertEquals(handledBefore + 1, stats().handled());
        var audited = auditEntries(org, gw);
        assertEquals(1, audited.size(), "one entry in the audit trail: " + audited);
        assertEquals("system", audited.get(0).get("actor_type", String.class));
        assertEquals(recording, audited.get(0).get("target_id", UUID.class));
        assertEquals("ok", audited.get(0).get("outcome", String.class));
        assertEquals(95.0, audited.get(0).get("duration", Double.class), "end_time - start_time");
        assertEquals(end, Instant.parse(audited.get(0).get("end_time", String.class)));

        // the same event again (a redelivery): nothing changes twice
        long duplicatesBefore = stats().duplicates();
        publish(org.machine().machineId(), event);
        EventStream.await("the duplicate", Duration.ofSeconds(30), () -> stats().duplicates() == duplicatesBefore + 1);
        assertEquals(1, app.db().inOrg(org.orgId(), GatewaySessionQueries::sessionEnds));
        assertEquals(1, auditEntries(org, gw).size(), "not audited twice");
        List<EventStream.Received> sealed = EventStream.awaitEvents(app, nats, 1, Duration.ofSeconds(30)).stream()
                .filter(r -> r.type().equals("recording.sealed") && r.data().get("recording_id").asText().equals(recording.toString()))
                .toList();
        assertEquals(1, sealed.size(), "sealed once");

        // a session no recording names is still audited
        String other = "gw-" + UUID.randomUUID();
        publish(org.machine().machineId(), sessionEnd(org, other, end.minusSeconds(10), end));
        EventStream.await("the unmapped session's entry", Duration.ofSeconds(30), () -> entry(org, other).isPresent());
        assertEquals(null, entry(org, other).orElseThrow().recordingId());
        var unmapped = auditEntries(org, other);
        assertEquals(1, unmapped.size());
        assertEquals(null, unmapped.get(0).get("target_id", UUID.class));
        assertEquals(10.0, unmapped.get(0).get("duration", Double.class));
    }

    @Test
    void malformedAndUnknownOrgEventsAreTerminatedAndCounted() throws Exception {
        TestOrg org = app.newOrg(true);
        SessionEndConsumer.Stats before = stats();
        publish(org.machine().machineId(), "this is not json");
        publish(org.machine().machineId(), "{\"session_id\":\"x\",\"tenant_id\":\"" + org.orgId() + "\"}");
        TestOrg ghost = new TestOrg(app, UUID.randomUUID(), org.adminId(), org.memberId(), org.auditorId(), org.machine());
        publish(org.machine().machineId(), sessionEnd(ghost, "gw-ghost", Instant.now().minusSeconds(5), Instant.now()));
        EventStream.await("the terminations", Duration.ofSeconds(30),
                () -> stats().malformed() == before.malformed() + 2 && stats().unknownOrg() == before.unknownOrg() + 1);
        Thread.sleep(1500);
        ConsumerInfo info = gateway.jetStreamManagement().getConsumerInfo("DEVICE_EVENTS", "api-session-audit-consumer");
        assertEquals(0, info.getNumAckPending(), "nothing left to redeliver");
        assertEquals(before.malformed() + 2, stats().malformed(), "not redelivered");
        assertEquals(before.retried(), stats().retried());
    }

    @Test
    void withTheDatabaseDownTheEventIsRedeliveredAndHandledOnceItIsBack() throws Exception {
        TestOrg org = app.newOrg(true);
        String gw = "gw-" + UUID.randomUUID();
        UUID recording = startGatewaySession(org, gw);
        long retriedBefore = stats().retried();
        dbRelay.cut();
        try {
            publish(org.machine().machineId(), sessionEnd(org, gw, Instant.now().minusSeconds(60), Instant.now()));
            EventStream.await("a nak", Duration.ofSeconds(30), () -> stats().retried() > retriedBefore);
        } finally {
            dbRelay.restore();
        }
        EventStream.await("the entry after the outage", Duration.ofSeconds(60), () -> answers(() -> entry(org, gw).isPresent()));
        assertEquals("completed", status(recording));
        assertEquals(1, app.db().inOrg(org.orgId(), GatewaySessionQueries::sessionEnds));
    }

    @Test
    void anEventThatKeepsFailingGoesToTheDeadLetterSubject() throws Exception {
        TestOrg org = app.newOrg(true);
        String gw = "gw-" + UUID.randomUUID();
        String event = sessionEnd(org, gw, Instant.now().minusSeconds(60), Instant.now());
        long deadBefore = stats().deadLettered();
        dbRelay.cut();
        try {
            publish(org.machine().machineId(), event);
            EventStream.await("the dead letter", Duration.ofSeconds(90), () -> stats().deadLettered() == deadBefore + 1);
        } finally {
            dbRelay.restore();
        }
        List<EventStream.Received> dead = EventStream.read(nats.url(), "CASTVAULT_EVENTS").stream()
                .filter(r -> r.subject().equals("castvault.deadletter.audit.session.end"))
                .filter(r -> r.payload().path("session_id").asText().equals(gw))
                .toList();
        assertEquals(1, dead.size());
        EventStream.await("the database back", Duration.ofSeconds(60), () -> answers(() -> true));
        Thread.sleep(1500);
        assertTrue(entry(org, gw).isEmpty(), "terminated, not handled later");
    }
}
