-- Finding the head of an org's audit chain used a condition no index serves, so each append read the whole
-- audit_log: appending grew linearly with the trail, and 100,000 entries in one cleanup took many minutes. The
-- function is the same but for that lookup.
CREATE OR REPLACE FUNCTION castvault_audit_append(p_org uuid, p_actor_type text, p_actor_id uuid, p_actor_name text,
        p_action text, p_target_type text, p_target_id uuid, p_outcome text, p_source_ip text,
        p_user_agent text, p_request_id text, p_details jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    head audit_log;
    e audit_log;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('castvault.audit:' || coalesce(p_org::text, '-'), 0));
    -- two statements, not one "org_id IS NOT DISTINCT FROM p_org": that condition cannot use the (org_id, seq)
    -- index, and every append scanned the whole table (the cost grew with the trail). IS NULL does not make the
    -- index ordered by seq for the planner; ordering by both columns, as a backward scan returns them, does.
    IF p_org IS NULL THEN
        SELECT * INTO head FROM audit_log WHERE org_id IS NULL ORDER BY org_id DESC NULLS FIRST, seq DESC LIMIT 1;
    ELSE
        SELECT * INTO head FROM audit_log WHERE org_id = p_org ORDER BY seq DESC LIMIT 1;
    END IF;
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
