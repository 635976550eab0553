-- Audit trail (issue 15): who did what, from where; append-only and hash-chained per org. And legal hold.

ALTER TABLE org_settings
    ADD COLUMN audit_retention_days integer NOT NULL DEFAULT 365 CHECK (audit_retention_days BETWEEN 1 AND 3650),
    -- org-wide hold: suspends every deletion of the org's recordings
    ADD COLUMN legal_hold boolean NOT NULL DEFAULT false;

ALTER TABLE session_recordings
    ADD COLUMN legal_hold boolean NOT NULL DEFAULT false,
    ADD COLUMN legal_hold_reason text CHECK (length(legal_hold_reason) <= 1000);
-- the few held recordings, for counting those kept past their retention without scanning the rest
CREATE INDEX session_recordings_held_idx ON session_recordings (org_id, started_at) WHERE legal_hold;

-- org_id is NULL only for failed authentications that name no org we can believe (a bad token or node key);
-- those rows form their own chain and are visible only to cross-org transactions (operators). There is no
-- foreign key: the trail outlives what it describes.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       uuid,
    -- per-org sequence without gaps: a removed entry leaves a hole that verify_audit finds
    seq          bigint NOT NULL,
    occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_type   text NOT NULL CHECK (actor_type IN ('user', 'machine', 'system', 'anonymous')),
    actor_id     uuid,
    actor_name   text,
    action       text NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    target_type  text CHECK (target_type IN ('recording', 'machine', 'settings', 'audit', 'org')),
    target_id    uuid,
    outcome      text NOT NULL CHECK (length(outcome) BETWEEN 1 AND 64),
    source_ip    text,
    user_agent   text CHECK (length(user_agent) <= 512),
    request_id   text CHECK (length(request_id) <= 128),
    details      jsonb NOT NULL DEFAULT '{}',
    prev_hash    bytea NOT NULL CHECK (length(prev_hash) = 32),
    entry_hash   bytea NOT NULL CHECK (length(entry_hash) = 32),
    CONSTRAINT audit_log_org_seq UNIQUE NULLS NOT DISTINCT (org_id, seq)
);
-- newest first per org, keyset on (occurred_at, id); the session filter (History panel) has its own index
CREATE INDEX audit_log_org_time_idx ON audit_log (org_id, occurred_at DESC, id DESC);
CREATE INDEX audit_log_org_target_idx ON audit_log (org_id, target_id, occurred_at DESC, id DESC) WHERE target_id IS NOT NULL;

-- The content hash of one entry, over a text form that does not depend on session settings (time as epoch
-- microseconds, jsonb in its canonical output form). Used by the append and by verify_audit alike.
CREATE FUNCTION castvault_audit_hash(e audit_log) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT sha256(convert_to(concat_ws(E'\x1f',
        coalesce(e.org_id::text, ''), e.seq::text,
        (extract(epoch FROM e.occurred_at) * 1000000)::bigint::text,
        e.actor_type, coalesce(e.actor_id::text, ''), coalesce(e.actor_name, ''),
        e.action, coalesce(e.target_type, ''), coalesce(e.target_id::text, ''), e.outcome,
        coalesce(e.source_ip, ''), coalesce(e.user_agent, ''), coalesce(e.request_id, ''),
        e.details::text, encode(e.prev_hash, 'hex')), 'UTF8'))
$$;

-- Appends one entry to its org's chain. The advisory lock (held to the end of the transaction) serializes the
-- appenders of one org, so each reads the true head; entries of other orgs do not wait.
CREATE FUNCTION castvault_audit_append(p_org uuid, p_actor_type text, p_actor_id uuid, p_actor_name text,
        p_action text, p_target_type text, p_target_id uuid, p_outcome text, p_source_ip text,
        p_user_agent text, p_request_id text, p_details jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    head audit_log;
    e audit_log;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('castvault.audit:' || coalesce(p_org::text, '-'), 0));
    SELECT * INTO head FROM audit_log WHERE org_id IS NOT DISTINCT FROM p_org ORDER BY seq DESC LIMIT 1;
    e.org_id := p_org;
    e.seq := coalesce(head.seq, 0) + 1;
    e.occurred_at := date_trunc('microseconds', clock_timestamp());
    e.actor_type := p_actor_type;
    e.actor_id := p_actor_id;
    -- the name as it is now, so the entry still says who it was after the user or machine is gone
    e.actor_name := coalesce(p_actor_name, CASE p_actor_type
        WHEN 'user' THEN (SELECT name FROM users WHERE id = p_actor_id)
        WHEN 'machine' THEN (SELECT name FROM machines WHERE id = p_actor_id) END);
    e.action := p_action;
    e.target_type := p_target_type;
    e.target_id := p_target_id;
    e.outcome := p_outcome;
    e.source_ip := p_source_ip;
    e.user_agent := p_user_agent;
    e.request_id := p_request_id;
    e.details := coalesce(p_details, '{}'::jsonb);
    -- after a pruning the head is the pruning entry itself, so the chain always has a head
    e.prev_hash := coalesce(head.entry_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    e.entry_hash := castvault_audit_hash(e);
    INSERT INTO audit_log (org_id, seq, occurred_at, actor_type, actor_id, actor_name, action, target_type,
                           target_id, outcome, source_ip, user_agent, request_id, details, prev_hash, entry_hash)
    VALUES (e.org_id, e.seq, e.occurred_at, e.actor_type, e.actor_id, e.actor_name, e.action, e.target_type,
            e.target_id, e.outcome, e.source_ip, e.user_agent, e.request_id, e.details, e.prev_hash, e.entry_hash)
    RETURNING id INTO e.id;
    RETURN e.id;
END
$$;

-- Append-only: no UPDATE ever, and DELETE only by the retention pruner, which sets castvault.audit_prune for
-- its own transaction. (A superuser can still disable the trigger; the hash chain is what catches that.)
CREATE FUNCTION castvault_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('castvault.audit_prune', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION castvault_audit_guard();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION castvault_audit_guard();

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));
