-- A sweep records one entry per recording it removes (issue 15), thousands per batch. One call of
-- castvault_audit_append per entry took the chain's lock, read its head and ran an INSERT each time: about half of
-- the database's work in a retention sweep (scripts/bench, pg_stat_statements). This appends one org's entries
-- in one call: the lock and the head once, the hashes chained in a loop, one INSERT of all rows. The entries are
-- the ones castvault_audit_append would write one after another (same fields, same castvault_audit_hash), so
-- verify_audit cannot tell them apart.
CREATE FUNCTION castvault_audit_append_each(p_org uuid, p_targets uuid[], p_actor_type text, p_actor_id uuid,
        p_actor_name text, p_action text, p_target_type text, p_outcome text, p_source_ip text,
        p_user_agent text, p_request_id text, p_details jsonb) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    head audit_log;
    e audit_log;
    entries audit_log[] := '{}';
    target uuid;
BEGIN
    IF coalesce(cardinality(p_targets), 0) = 0 THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('castvault.audit:' || coalesce(p_org::text, '-'), 0));
    IF p_org IS NULL THEN
        SELECT * INTO head FROM audit_log WHERE org_id IS NULL ORDER BY org_id DESC NULLS FIRST, seq DESC LIMIT 1;
    ELSE
        SELECT * INTO head FROM audit_log WHERE org_id = p_org ORDER BY seq DESC LIMIT 1;
    END IF;
    e.org_id := p_org;
    e.actor_type := p_actor_type;
    e.actor_id := p_actor_id;
    e.actor_name := coalesce(p_actor_name, CASE p_actor_type
        WHEN 'user' THEN (SELECT name FROM users WHERE id = p_actor_id)
        WHEN 'machine' THEN (SELECT name FROM machines WHERE id = p_actor_id) END);
    e.action := p_action;
    e.target_type := p_target_type;
    e.outcome := p_outcome;
    e.source_ip := p_source_ip;
    e.user_agent := p_user_agent;
    e.request_id := p_request_id;
    e.details := coalesce(p_details, '{}'::jsonb);
    e.seq := coalesce(head.seq, 0);
    e.entry_hash := coalesce(head.entry_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    FOREACH target IN ARRAY p_targets LOOP
        e.seq := e.seq + 1;
        e.prev_hash := e.entry_hash;
        e.target_id := target;
        e.occurred_at := date_trunc('microseconds', clock_timestamp());
        e.entry_hash := castvault_audit_hash(e);
        entries := entries || e;
    END LOOP;
    INSERT INTO audit_log (org_id, seq, occurred_at, actor_type, actor_id, actor_name, action, target_type,
                           target_id, outcome, source_ip, user_agent, request_id, details, prev_hash, entry_hash)
    SELECT x.org_id, x.seq, x.occurred_at, x.actor_type, x.actor_id, x.actor_name, x.action, x.target_type,
           x.target_id, x.outcome, x.source_ip, x.user_agent, x.request_id, x.details, x.prev_hash, x.entry_hash
    FROM unnest(entries) AS x;
    RETURN cardinality(p_targets);
END
$$;
