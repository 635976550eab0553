-- upload_chunk in two round trips (issue 13). Each of the write path's two chunk steps is one autocommit statement
-- calling one of these functions: the function scopes itself to the org (set_config local to the statement's own
-- implicit transaction, so nothing leaks onto the pooled connection) and then runs under the same row-level
-- security as every other query (SECURITY INVOKER). Before, each step was a transaction of its own: BEGIN +
-- set_config, the statement(s), COMMIT. The claim still commits before the object is put, as migration V4 requires.

-- Locks the recording (shared: a seal waits for the claim and the claim for a seal) and claims the chunk as
-- pending when the recording is active and p_writer may write it (NULL: anyone, i.e. an admin). Returns the
-- recording's status and owner (no row: not there, or being deleted) and whether this call claimed the chunk;
-- the caller turns a refusal into its error, and nothing was claimed then.
CREATE FUNCTION castvault_claim_chunk(p_org uuid, p_recording uuid, p_index integer, p_sha256 bytea, p_byte_length bigint,
                                      p_event_count integer, p_last_event_time double precision, p_has_header boolean,
                                      p_writer uuid)
    RETURNS TABLE (status text, user_id uuid, started_at timestamptz, claimed boolean)
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('castvault.org_id', p_org::text, true);
    RETURN QUERY
        WITH rec AS (
            SELECT r.status, r.user_id, r.started_at FROM session_recordings r
            WHERE r.org_id = p_org AND r.id = p_recording AND r.status <> 'deleting'
            FOR SHARE
        ), ins AS (
            INSERT INTO recording_chunks (recording_id, org_id, chunk_index, sha256, byte_length, event_count,
                                          last_event_time, has_header, state)
            SELECT p_recording, p_org, p_index, p_sha256, p_byte_length, p_event_count, p_last_event_time, p_has_header,
                   'pending'
            FROM rec WHERE rec.status = 'active' AND (p_writer IS NULL OR rec.user_id = p_writer)
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT rec.status, rec.user_id, rec.started_at, EXISTS (SELECT 1 FROM ins) FROM rec;
END
$$;

-- The claim with this SHA-256 becomes an acknowledged chunk; false when there is no such pending claim.
CREATE FUNCTION castvault_mark_chunk_stored(p_org uuid, p_recording uuid, p_index integer, p_sha256 bytea)
    RETURNS boolean
    LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    PERFORM set_config('castvault.org_id', p_org::text, true);
    UPDATE recording_chunks
    -- the abandoned-recording completer measures idleness from the last stored chunk
    SET state = 'stored', created_at = now()
    WHERE recording_id = p_recording AND chunk_index = p_index AND sha256 = p_sha256 AND state = 'pending';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n = 1;
END
$$;
