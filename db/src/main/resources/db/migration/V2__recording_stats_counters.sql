-- list's stats (count and total duration per status) come from counters kept by triggers, so a page of an org
-- with a million recordings no longer aggregates all of them on every request. One row per
-- (org, machine, status); machine_id NULL counts the recordings whose machine is gone.

CREATE TABLE recording_stats (
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    machine_id      uuid,
    status          text NOT NULL,
    recordings      bigint NOT NULL,
    -- numeric: the counter is added to and subtracted from forever; float error would accumulate
    total_duration  numeric NOT NULL,
    CONSTRAINT recording_stats_key UNIQUE NULLS NOT DISTINCT (org_id, machine_id, status)
);

ALTER TABLE recording_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE recording_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON recording_stats
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

-- Statement-level triggers over the transition tables: a bulk change (the retention sweep marks and deletes
-- thousands of rows per statement) costs one grouped upsert, not one counter update per row.
CREATE FUNCTION castvault_recording_stats_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- old_rows exists only for UPDATE; PL/pgSQL plans a statement when it first runs it, so the branch is safe
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO recording_stats AS s (org_id, machine_id, status, recordings, total_duration)
        SELECT org_id, machine_id, status, sum(n), sum(d)
        FROM (SELECT org_id, machine_id, status, 1 AS n, coalesce(duration_seconds, 0)::numeric AS d FROM new_rows
              UNION ALL
              SELECT org_id, machine_id, status, -1, -coalesce(duration_seconds, 0)::numeric FROM old_rows) delta
        GROUP BY org_id, machine_id, status
        HAVING sum(n) <> 0 OR sum(d) <> 0
        -- a stable order of the counters locked, so two bulk statements cannot deadlock on them
        ORDER BY org_id, machine_id, status
        ON CONFLICT ON CONSTRAINT recording_stats_key DO UPDATE
           SET recordings = s.recordings + excluded.recordings, total_duration = s.total_duration + excluded.total_duration;
    ELSE
        INSERT INTO recording_stats AS s (org_id, machine_id, status, recordings, total_duration)
        SELECT org_id, machine_id, status, count(*), sum(coalesce(duration_seconds, 0)::numeric)
        FROM new_rows
        GROUP BY org_id, machine_id, status
        ORDER BY org_id, machine_id, status
        ON CONFLICT ON CONSTRAINT recording_stats_key DO UPDATE
           SET recordings = s.recordings + excluded.recordings, total_duration = s.total_duration + excluded.total_duration;
    END IF;
    RETURN NULL;
END
$$;

-- Removal only decrements existing counters (never inserts), so the cascade of an org's deletion, which may
-- remove the org's counters first, cannot recreate them.
CREATE FUNCTION castvault_recording_stats_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE recording_stats s
       SET recordings = s.recordings - delta.n, total_duration = s.total_duration - delta.d
      FROM (SELECT org_id, machine_id, status, count(*) AS n, sum(coalesce(duration_seconds, 0)::numeric) AS d
            FROM old_rows GROUP BY org_id, machine_id, status) delta
     WHERE s.org_id = delta.org_id AND s.machine_id IS NOT DISTINCT FROM delta.machine_id AND s.status = delta.status;
    RETURN NULL;
END
$$;

CREATE TRIGGER session_recordings_stats_insert AFTER INSERT ON session_recordings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION castvault_recording_stats_add();
CREATE TRIGGER session_recordings_stats_update AFTER UPDATE ON session_recordings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION castvault_recording_stats_add();
CREATE TRIGGER session_recordings_stats_delete AFTER DELETE ON session_recordings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION castvault_recording_stats_remove();

-- the recordings that exist already; a migration sees every org only with the cross-org setting
SELECT set_config('castvault.all_orgs', 'on', true);
INSERT INTO recording_stats (org_id, machine_id, status, recordings, total_duration)
SELECT org_id, machine_id, status, count(*), coalesce(sum(duration_seconds::numeric), 0)
FROM session_recordings
GROUP BY org_id, machine_id, status;
SELECT set_config('castvault.all_orgs', '', true);
