package io.castvault.api;

import io.castvault.agentingest.Machines;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** One org's fixtures: its users by role, a machine owned by the member, and tokens. */
public record TestOrg(TestApp app, UUID orgId, UUID adminId, UUID memberId, UUID auditorId,
                      Machines.NewMachine machine) {

    public TestApp.Response as(UUID user, Map<String, ?> body) {
        Map<String, Object> withOrg = new HashMap<>(body);
        withOrg.putIfAbsent("org_id", orgId.toString());
        return app.action(app.token(user), withOrg);
    }

    public TestApp.Response asAdmin(Map<String, ?> body) {
        return as(adminId, body);
    }

    public TestApp.Response asMember(Map<String, ?> body) {
        return as(memberId, body);
    }

    public TestApp.Response asAuditor(Map<String, ?> body) {
        return as(auditorId, body);
    }

    /** Starts a recording on the org's machine as {@code user}; returns its id. */
    public UUID start(UUID user) {
        TestApp.Response r = as(user, Map.of("action", "start", "machine_id", machine.machineId().toString(),
                "session_type", "ssh"));
        if (r.status() != 201) {
            throw new IllegalStateException("start failed: " + r.body());
        }
        return UUID.fromString(r.data().get("session_id").asText());
    }

    public TestApp.Response upload(UUID user, UUID session, int index, String chunk) {
        return as(user, Map.of("action", "upload_chunk", "session_id", session.toString(), "chunk_index", index,
                "chunk_data", chunk));
    }

    /**
     * {@code complete}, and once it answered 200, the deletion of the chunk objects that follows it, up to the row
     * saying so: tests look at both tiers as they settle (WritePathTest shows complete answering before that
     * deletion; a sweep racing its last update would skip the row it locks).
     */
    public TestApp.Response complete(UUID user, UUID session) {
        TestApp.Response r = as(user, Map.of("action", "complete", "session_id", session.toString()));
        if (r.status() == 200) {
            app.awaitChunksCleared(session);
        }
        return r;
    }

    public TestApp.Response cast(UUID user, UUID session) {
        return app.get("/api/session-recording/" + orgId + "/" + session + "/cast", app.token(user));
    }

    public String memberToken() {
        return app.token(memberId);
    }
}
