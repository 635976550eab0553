-- Every audited action appends one entry, and every list and get is audited, so the append is on the hottest
-- read path. Its actor name came from a CASE with a sub-select per actor type, which PL/pgSQL cannot evaluate as a
-- simple expression: it ran the assignment as a whole query through the executor, about 0.15 ms of the append's
-- 0.55 ms (pgbench, one client, as the service's role). The name is now looked up only when the caller gave none,
-- with a plain SELECT INTO of the one table the actor type names. The entries are the same: same fields, same
-- hash. CREATE OR REPLACE needs the whole body; the rest is V11's.
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
    e.actor_name := p_actor_name;
    IF p_actor_name IS NULL THEN
        IF p_actor_type = 'user' THEN
            SELECT name INTO e.actor_name FROM users WHERE id = p_actor_id;
        ELSIF p_actor_type = 'machine' THEN
            SELECT name INTO e.actor_name FROM machines WHERE id = p_actor_id;
        END IF;
    END IF;
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
