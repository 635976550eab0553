-- Events (issue 16): a transactional outbox relayed to NATS JetStream, the gateway's session id on a recording,
-- and the session-end entries the gateway consumer writes.

-- Each lifecycle change appends its event here in the change's own transaction, so an event exists exactly when
-- the change committed. The relay publishes in seq order and deletes what JetStream acknowledged. seq is taken
-- after the change has locked its recording row, so two events of one recording get increasing seq in the order
-- their transactions committed.
CREATE TABLE event_outbox (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    org_id       uuid NOT NULL,
    type         text NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
    version      integer NOT NULL CHECK (version > 0),
    occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    data         jsonb NOT NULL
);

ALTER TABLE event_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_outbox
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

-- One relay publishes at a time (per-recording order needs a single writer); the others wait for the lease to
-- lapse. Not a tenant table: it names a service instance, no org.
CREATE TABLE event_relay_lease (
    name        text PRIMARY KEY,
    holder      uuid NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- start's optional gateway_session_id: the gateway's session-end event (seed 003) names the recording it seals.
ALTER TABLE session_recordings ADD COLUMN gateway_session_id text
    CHECK (gateway_session_id IS NULL OR length(gateway_session_id) BETWEEN 1 AND 128);
CREATE UNIQUE INDEX session_recordings_gateway_session_idx
    ON session_recordings (org_id, gateway_session_id) WHERE gateway_session_id IS NOT NULL;

-- ssh_session_end entries from the gateway's audit.session.end events. Interim home until the audit trail of
-- issue 15 lands; the primary key makes a redelivered event a no-op.
CREATE TABLE gateway_session_ends (
    org_id            uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    session_id        text NOT NULL CHECK (length(session_id) BETWEEN 1 AND 128),
    user_id           uuid,
    device_id         uuid NOT NULL,
    recording_id      uuid,
    start_time        timestamptz,
    end_time          timestamptz NOT NULL,
    duration_seconds  double precision,
    source_ip         text CHECK (source_ip IS NULL OR length(source_ip) <= 64),
    reason            text CHECK (reason IS NULL OR length(reason) <= 64),
    received_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, session_id)
);

ALTER TABLE gateway_session_ends ENABLE ROW LEVEL SECURITY;
ALTER TABLE gateway_session_ends FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON gateway_session_ends
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));
