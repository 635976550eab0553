-- Castvault schema. Every tenant table carries org_id and is guarded by row-level security (see the end).

CREATE TABLE orgs (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    features    text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE org_settings (
    org_id                   uuid PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    recording_enabled        boolean NOT NULL DEFAULT false,
    recording_retention_days integer NOT NULL DEFAULT 90 CHECK (recording_retention_days BETWEEN 1 AND 365),
    recording_storage_mode   text NOT NULL DEFAULT 'platform' CHECK (recording_storage_mode IN ('platform', 'custom')),
    updated_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          uuid PRIMARY KEY,
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE org_memberships (
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('admin', 'member', 'auditor')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_memberships_user_idx ON org_memberships (user_id);

CREATE TABLE machines (
    id             uuid PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    owner_id       uuid NOT NULL REFERENCES users (id),
    node_key_hash  bytea NOT NULL UNIQUE CHECK (length(node_key_hash) = 32),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX machines_org_idx ON machines (org_id);

CREATE TABLE session_recordings (
    id                uuid PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    machine_id        uuid REFERENCES machines (id) ON DELETE SET NULL,
    user_id           uuid NOT NULL REFERENCES users (id),
    session_type      text NOT NULL,
    -- 'deleting': objects are being removed; hidden from every read until the row goes.
    status            text NOT NULL CHECK (status IN ('active', 'completed', 'deleting')),
    started_at        timestamptz NOT NULL DEFAULT now(),
    ended_at          timestamptz,
    duration_seconds  double precision,
    metadata          jsonb NOT NULL DEFAULT '{}',
    r2_key            text,
    UNIQUE (id, org_id)
);
-- list: newest first per org, optionally per status or machine; INCLUDE lets stats run as index-only scans.
CREATE INDEX session_recordings_org_started_idx
    ON session_recordings (org_id, started_at DESC, id DESC) INCLUDE (status, duration_seconds);
CREATE INDEX session_recordings_org_status_idx
    ON session_recordings (org_id, status, started_at DESC, id DESC) INCLUDE (duration_seconds);
CREATE INDEX session_recordings_org_machine_idx
    ON session_recordings (org_id, machine_id, started_at DESC, id DESC) INCLUDE (status, duration_seconds);
CREATE INDEX session_recordings_machine_idx ON session_recordings (machine_id);
-- retention and abandonment sweeps
CREATE INDEX session_recordings_started_idx ON session_recordings (started_at);
CREATE INDEX session_recordings_deleting_idx ON session_recordings (id) WHERE status = 'deleting';

CREATE TABLE recording_chunks (
    recording_id     uuid NOT NULL,
    org_id           uuid NOT NULL,
    chunk_index      integer NOT NULL CHECK (chunk_index >= 0),
    sha256           bytea NOT NULL CHECK (length(sha256) = 32),
    byte_length      bigint NOT NULL CHECK (byte_length >= 0),
    event_count      integer NOT NULL,
    last_event_time  double precision NOT NULL,
    -- chunk 0 may start with the asciicast header line; the cast download then uses it instead of the default
    has_header       boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recording_id, chunk_index),
    FOREIGN KEY (recording_id, org_id) REFERENCES session_recordings (id, org_id) ON DELETE CASCADE
);

-- Other processes (the admin CLI, an operator's SQL) change memberships, features and machines; the service
-- caches them, and learns of changes through this channel.
CREATE FUNCTION castvault_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('castvault_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
CREATE TRIGGER orgs_changed AFTER INSERT OR UPDATE OR DELETE ON orgs
    FOR EACH STATEMENT EXECUTE FUNCTION castvault_notify_change();
CREATE TRIGGER org_memberships_changed AFTER INSERT OR UPDATE OR DELETE ON org_memberships
    FOR EACH STATEMENT EXECUTE FUNCTION castvault_notify_change();
CREATE TRIGGER machines_changed AFTER INSERT OR UPDATE OR DELETE ON machines
    FOR EACH STATEMENT EXECUTE FUNCTION castvault_notify_change();

-- Row-level security: a transaction sees one org's rows, the org named by the transaction-local setting
-- castvault.org_id. Work that spans orgs by design (retention sweep, node-key lookup, operator CLI) sets
-- castvault.all_orgs = 'on' for its transaction instead. With neither set, every tenant table is empty.
-- FORCE applies the policies to the owning role too, which is the role the service runs as.
-- The settings are read through scalar subqueries so that PostgreSQL evaluates them once per query (an
-- InitPlan) instead of once per row, and can use org_id = (...) as an index condition.
CREATE FUNCTION castvault_current_org() RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('castvault.org_id', true), '')::uuid
$$;
CREATE FUNCTION castvault_all_orgs() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('castvault.all_orgs', true), '') = 'on'
$$;

ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE orgs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON orgs
    USING (id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

ALTER TABLE org_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_settings
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

ALTER TABLE org_memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_memberships
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

ALTER TABLE machines ENABLE ROW LEVEL SECURITY;
ALTER TABLE machines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON machines
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

ALTER TABLE session_recordings ENABLE ROW LEVEL SECURITY;
ALTER TABLE session_recordings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON session_recordings
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

ALTER TABLE recording_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE recording_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON recording_chunks
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));
