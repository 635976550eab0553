package io.castvault.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SessionEndEventTest {
    private static final String ORG = UUID.randomUUID().toString();
    private static final String DEVICE = UUID.randomUUID().toString();

    private static SessionEndEvent parse(String json) throws SessionEndEvent.Malformed {
        return SessionEndEvent.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheSeedsPayload() throws Exception {
        String user = UUID.randomUUID().toString();
        SessionEndEvent e = parse("""
                {"session_id":"3b6f0c1e-7d0a-4c39-9f2a-0a1b2c3d4e5f","user_id":"%s","tenant_id":"%s","device_id":"%s",
                 "start_time":"2026-03-12T16:00:00Z","end_time":"2026-03-12T17:02:30.500+01:00",
                 "source_ip":"203.0.113.7","reason":"idle_timeout"}""".formatted(user, ORG, DEVICE));
        assertEquals(ORG, e.orgId().toString());
        assertEquals(DEVICE, e.deviceId().toString());
        assertEquals(user, e.userId().toString());
        assertEquals(150.5, e.durationSeconds());
        assertEquals("idle_timeout", e.reason());
    }

    @Test
    void startTimeIsOptional() throws Exception {
        SessionEndEvent e = parse("""
                {"session_id":"s1","tenant_id":"%s","device_id":"%s","end_time":"2026-03-12T16:02:30Z"}""".formatted(ORG, DEVICE));
        assertNull(e.durationSeconds());
        assertNull(e.userId());
    }

    @Test
    void refusesWhatCanNeverBeProcessed() {
        String ok = "\"session_id\":\"s1\",\"tenant_id\":\"" + ORG + "\",\"device_id\":\"" + DEVICE + "\"";
        for (String bad : new String[] {
                "", "not json", "[1,2]", "{}", "{" + ok + "}",                                     // no end_time
                "{" + ok + ",\"end_time\":\"yesterday\"}",
                "{" + ok.replace(ORG, "acme") + ",\"end_time\":\"2026-03-12T16:02:30Z\"}",
                "{" + ok.replace("s1", "has space") + ",\"end_time\":\"2026-03-12T16:02:30Z\"}",
                "{" + ok + ",\"end_time\":\"2026-03-12T16:02:30Z\",\"start_time\":\"2026-03-12T17:00:00Z\"}",
                "{" + ok + ",\"end_time\":\"2026-03-12T16:02:30Z\",\"reason\":\"" + "x".repeat(65) + "\"}",
                "{" + ok + ",\"end_time\":\"2026-03-12T16:02:30Z\",\"user_id\":42}",
                "{\"pad\":\"" + "x".repeat(SessionEndEvent.MAX_BYTES) + "\"}"}) {
            assertThrows(SessionEndEvent.Malformed.class, () -> parse(bad), bad.length() > 80 ? bad.substring(0, 80) : bad);
        }
    }
}
