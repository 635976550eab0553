package io.castvault.api;

import io.castvault.db.Role;
import io.castvault.recording.Caller;
import io.castvault.recording.Recordings;
import io.castvault.recording.Sealing;
import io.castvault.testing.TestNats;
import io.castvault.testing.TestPostgres;
import io.castvault.testing.TestS3;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relay's guarantees: nothing lost or doubled across a NATS outage, in order; one publisher among many. */
class EventsDeliveryTest {

    @Test
    void natsDownForThirtySecondsDuringAThousandChangesLosesAndDoublesNothing() throws Exception {
        try (TestNats nats = TestNats.start();
             TestApp app = TestApp.start(Map.of("castvault.events.nats-url", nats.url()), false)) {
            try {
                survivesTheOutage(nats, app);
            } catch (Throwable t) {
                nats.failed(); // closing it prints the server's log, which says whether the stream was recovered
                throw t;
            }
        }
    }

    private static void survivesTheOutage(TestNats nats, TestApp app) throws Exception {
        TestOrg org = app.newOrg(true);
        try (io.nats.client.Connection gateway = io.nats.client.Nats.connect(nats.url())) {
            gateway.jetStreamManagement().addStream(io.nats.client.api.StreamConfiguration.builder()
                    .name("DEVICE_EVENTS").subjects("audit.>").build());
        }
        Recordings recordings = app.bean(Recordings.class);
        Sealing sealing = app.bean(Sealing.class);
        Caller admin = new Caller(org.adminId(), org.orgId(), Role.ADMIN);
        UUID machine = org.machine().machineId();
        // one writer, so the order of the changes is the order the events must arrive in
        List<String> changes = java.util.Collections.synchronizedList(new ArrayList<>());
        changes.add("settings.changed -");
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 500; i++) {
                UUID id = recordings.start(admin, machine, "ssh", null).sessionId();
                changes.add("recording.started " + id);
                sealing.complete(admin, id, new Sealing.CompleteRequest(1.0, null, null));
                changes.add("recording.sealed " + id);
                pause(60);
            }
        });
        EventStream.await(nats, "the first events", Duration.ofSeconds(30), () -> EventStream.events(nats.url()).size() >= 50,
                () -> "");
        nats.kill();
        long down = System.nanoTime();
        Thread.sleep(30_000);
        int writtenWhileDown = changes.size();
        nats.restart();
        writer.get();
        assertTrue(writtenWhileDown > 200 && writtenWhileDown < 1001, "the outage fell in the middle: " + writtenWhileDown);
        assertTrue(System.nanoTime() - down >= 30_000_000_000L);

        List<EventStream.Received> events = EventStream.awaitEvents(app, nats, 1001, Duration.ofSeconds(180));
        Set<String> ids = new HashSet<>();
        events.forEach(e -> assertTrue(ids.add(e.msgId()), "delivered twice: " + e.payload()));
        List<String> order = events.stream().map(e -> e.type() + " " + e.data().path("recording_id").asText("-")).toList();
        assertEquals(changes, order, "every event, once, in the order of the changes");

        // the session-end consumer came back with NATS too
        try (io.nats.client.Connection gateway = io.nats.client.Nats.connect(nats.url())) {
            String end = java.time.Instant.now().toString();
            gateway.jetStream().publish("audit.session.end." + machine, ("{\"session_id\":\"after-outage\",\"tenant_id\":\""
                    + org.orgId() + "\",\"device_id\":\"" + machine + "\",\"end_time\":\"" + end + "\"}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        EventStream.await(nats, "the session end after the outage", Duration.ofSeconds(60),
                () -> app.bean(EventsRuntime.class).consumerStats().orElseThrow().handled() == 1, () -> "");
    }

    @Test
    void theServiceStartsWhileNatsIsDownAndPublishesOnceItIsUp() throws Exception {
        try (TestNats nats = TestNats.start()) {
            nats.kill();
            try (TestApp app = TestApp.start(Map.of("castvault.events.nats-url", nats.url()), false)) {
                TestOrg org = app.newOrg(true);
                UUID id = org.start(org.memberId());
                assertEquals(2, EventStream.outboxSize(app), "the events wait");
                assertEquals(200, app.get("/health", null).status(), "NATS down does not fail the health check");
                assertEquals("down", app.get("/health", null).json().at("/nats/status").asText());
                nats.restart();
                List<EventStream.Received> events = EventStream.awaitEvents(app, nats, 2, Duration.ofSeconds(30));
                assertEquals(List.of("settings.changed", "recording.started"),
                        events.stream().map(EventStream.Received::type).toList());
                assertEquals(id.toString(), events.get(1).data().get("recording_id").asText());
            }
        }
    }

    @Test
    void threeInstancesPublishEachEventOnceAndTakeOverFromEachOther() throws Exception {
        TestPostgres.Coordinates db = TestPostgres.instance().freshDatabase();
        Map<String, Object> shared = new HashMap<>();
        shared.put("castvault.database.url", db.url());
        shared.put("castvault.database.user", db.user());
        shared.put("castvault.database.password", db.password());
        shared.put("castvault.s3.bucket", TestS3.freshBucketName());
        shared.put("castvault.events.lease-ttl", "3s");
        try (TestNats nats = TestNats.start()) {
            shared.put("castvault.events.nats-url", nats.url());
            List<TestApp> apps = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    apps.add(TestApp.start(shared, false));
                }
                TestOrg org = apps.get(0).newOrg(true);
                int expected = 1 + changesThroughEvery(apps, org, 60);
                List<EventStream.Received> events = EventStream.awaitEvents(apps.get(0), nats, expected, Duration.ofSeconds(30));
                assertEquals(expected, events.size());
                assertEquals(expected, events.stream().map(EventStream.Received::msgId).distinct().count());
                long[] published = apps.stream().mapToLong(EventsDeliveryTest::published).toArray();
                assertEquals(expected, java.util.Arrays.stream(published).sum(), "each event published by one instance");

                // the publishing instance goes away: another one takes over, still once each
                TestApp leader = apps.stream().filter(a -> published(a) > 0).findFirst().orElseThrow();
                apps.remove(leader);
                leader.close();
                TestOrg org2 = new TestOrg(apps.get(0), org.orgId(), org.adminId(), org.memberId(), org.auditorId(), org.machine());
                int more = changesThroughEvery(apps, org2, 30);
                events = EventStream.awaitEvents(apps.get(0), nats, expected + more, Duration.ofSeconds(30));
                assertEquals(expected + more, events.size());
                assertEquals(expected + more, events.stream().map(EventStream.Received::msgId).distinct().count());
                assertEquals(more, apps.stream().mapToLong(EventsDeliveryTest::published).sum());
            } finally {
                for (TestApp a : apps) {
                    a.close();
                }
            }
        }
    }

    /** start + complete through the instances in turn; returns how many events that makes. */
    private static int changesThroughEvery(List<TestApp> apps, TestOrg org, int recordings) {
        for (int i = 0; i < recordings; i++) {
            TestApp app = apps.get(i % apps.size());
            TestOrg via = new TestOrg(app, org.orgId(), org.adminId(), org.memberId(), org.auditorId(), org.machine());
            UUID id = via.start(org.memberId());
            TestApp.Response r = apps.get((i + 1) % apps.size()) == app ? via.complete(org.memberId(), id)
                    : new TestOrg(apps.get((i + 1) % apps.size()), org.orgId(), org.adminId(), org.memberId(),
                    org.auditorId(), org.machine()).complete(org.memberId(), id);
            assertEquals(200, r.status(), r.body());
        }
        return recordings * 2;
    }

    private static long published(TestApp app) {
        return ((Number) app.bean(EventsRuntime.class).health().orElseThrow().get("events_published")).longValue();
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
