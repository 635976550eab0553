-- Retention removes expired recordings' rows first (issue 13). Marking each row 'deleting' before its objects went
-- rewrote the row with a new entry in each of the table's indexes (a status change is never a HOT update): about
-- half of the sweep's WAL, and page writes scattered over the primary key, on the disk the object store shares.
-- Now one transaction deletes a batch of rows and keeps what their objects' keys are made of in object_removals,
-- one row per slice of 500; the sweeper deletes the objects and then that row. The recording is gone from every
-- read at once, as a 'deleting' one was hidden; its objects are still named by a row until they are gone.
-- The delete action still marks its one recording 'deleting' first and deletes everything under its prefixes;
-- the sweeper turns what such a deletion left (its objects could not all be deleted) into a removal as well.
-- session_recordings.delete_claimed_at is no longer used; it stays until no instance of the version before this
-- one can be running (a rolling upgrade's old instances still write it).
CREATE TABLE object_removals (
    id          bigserial PRIMARY KEY,
    -- the org of every recording named; NULL when they span orgs (the sweeper's), seen only across orgs
    org_id      uuid REFERENCES orgs (id) ON DELETE CASCADE,
    -- the sweeper that holds the removal, since when; a removal held longer than the lease is taken over
    claimed_at  timestamptz,
    -- [{"org": org, "id": recording, "store": its store_id (null: the platform store), "sealed": bool,
    --   "manifest": bool, "chunks": [chunk index, ...]}, ...]
    recordings  jsonb NOT NULL CHECK (jsonb_typeof(recordings) = 'array')
);

ALTER TABLE object_removals ENABLE ROW LEVEL SECURITY;
ALTER TABLE object_removals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON object_removals
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

-- Removes the recordings p_ids (locked by the caller) and returns the removals that now name their objects, at most
-- p_slice recordings each (one org's after another: a sweep over many orgs with a few expired recordings each makes
-- a few removals, not one per org), held by the caller. Chunk indexes are read after the caller's lock: a claim needs a
-- share lock on its recording, so none can add a chunk between this read and the delete.
CREATE FUNCTION castvault_remove_recordings(p_ids uuid[], p_slice integer) RETURNS SETOF bigint
    LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    WITH removal AS (
        INSERT INTO object_removals (org_id, claimed_at, recordings)
        SELECT CASE WHEN count(DISTINCT r.org_id) = 1 THEN (array_agg(r.org_id))[1] END, now(),
               jsonb_agg(jsonb_build_object('org', r.org_id, 'id', r.id, 'store', r.store_id, 'sealed', r.sealed,
                                            'manifest', r.manifest, 'chunks', r.chunks) ORDER BY r.org_id, r.id)
        FROM (SELECT s.org_id, s.id, s.store_id, s.sealed,
                     EXISTS (SELECT 1 FROM evidence_seals e
                             WHERE e.recording_id = s.id AND e.manifest_sha256 IS NOT NULL) AS manifest,
                     CASE WHEN s.chunks_cleared THEN '[]'::jsonb
                          ELSE coalesce((SELECT jsonb_agg(c.chunk_index ORDER BY c.chunk_index) FROM recording_chunks c
                                         WHERE c.recording_id = s.id), '[]'::jsonb) END AS chunks,
                     (row_number() OVER (ORDER BY s.org_id, s.id) - 1) / p_slice AS slice
              FROM session_recordings s WHERE s.id = ANY (p_ids)) r
        GROUP BY r.slice
        RETURNING id)
    SELECT id FROM removal;
    DELETE FROM session_recordings WHERE id = ANY (p_ids);
END
$$;

-- The evidence of a removal, for a row deleted without being marked 'deleting' first (the trigger of V7 records a
-- marked one when it is marked). One statement per DELETE, over its transition table: a sweep deletes thousands.
CREATE FUNCTION castvault_evidence_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO evidence_removals (recording_id, org_id, started_at, removed_at, reason, retention_days, actor_id)
    SELECT s.recording_id, s.org_id, s.started_at, date_trunc('milliseconds', clock_timestamp()),
           coalesce(nullif(current_setting('castvault.removal_reason', true), ''), 'unexplained'),
           coalesce((SELECT recording_retention_days FROM org_settings WHERE org_id = s.org_id), 90),
           nullif(current_setting('castvault.removal_actor', true), '')::uuid
    FROM old_rows o JOIN evidence_seals s ON s.recording_id = o.id
    WHERE o.status <> 'deleting'
    ON CONFLICT (recording_id) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER session_recordings_evidence_removed AFTER DELETE ON session_recordings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION castvault_evidence_removed();
