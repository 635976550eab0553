-- upload_chunk's database steps as group commits (issue 13). Replaces the two functions of V9 (one claim, one
-- mark per statement) with one that takes any number of both: the marks and claims of one org that arrive while
-- one of that org's statements runs are made together by the next, with one commit (and one WAL flush) for all.
-- Each element is still its own primary-key work, in a loop: a join of the arrays with the table could scan every
-- pending claim. Same rules per element as V9's functions.
--
-- Marks first: each claim with this SHA-256 becomes an acknowledged chunk; a row ('mark-stored', i) answers each
-- mark i that found such a pending claim (a mark without a row found none: stored already, or released).
-- Then claims: each locks its recording (shared: a seal waits for the claim and the claim for a seal) and claims
-- the chunk as pending when the recording is active and the claim's writer may write it (NULL: anyone, i.e. an
-- admin); a row ('claim', i, the recording's status and owner, whether this call claimed it) answers each claim i
-- whose recording is there and not being deleted (no row: no such recording). Of two claims of one chunk, the first
-- is made and the second finds it.
-- A statement without marks commits without waiting for its WAL flush: a claim need only be visible before the
-- object is put; the flush of the mark's commit, later in the WAL, makes it durable before the chunk is acknowledged.
CREATE FUNCTION castvault_chunk_steps(p_org uuid,
                                      p_marks uuid[], p_mark_indexes integer[], p_mark_sha256s bytea[],
                                      p_claims uuid[], p_claim_indexes integer[], p_claim_sha256s bytea[],
                                      p_byte_lengths bigint[], p_event_counts integer[],
                                      p_last_event_times double precision[], p_has_headers boolean[],
                                      p_writers uuid[])
    RETURNS TABLE (step text, n integer, status text, user_id uuid, started_at timestamptz, claimed boolean)
    LANGUAGE plpgsql AS $$
DECLARE
    rec record;
BEGIN
    PERFORM set_config('castvault.org_id', p_org::text, true);
    IF coalesce(array_length(p_marks, 1), 0) = 0 THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_marks, 1), 0) LOOP
        UPDATE recording_chunks c
        -- the abandoned-recording completer measures idleness from the last stored chunk
        SET state = 'stored', created_at = now()
        WHERE c.recording_id = p_marks[i] AND c.chunk_index = p_mark_indexes[i] AND c.sha256 = p_mark_sha256s[i]
          AND c.state = 'pending';
        IF FOUND THEN
            step := 'mark-stored';
            n := i;
            RETURN NEXT;
        END IF;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(p_claims, 1), 0) LOOP
        SELECT r.status, r.user_id, r.started_at INTO rec FROM session_recordings r
        WHERE r.org_id = p_org AND r.id = p_claims[i] AND r.status <> 'deleting'
        FOR SHARE;
        CONTINUE WHEN NOT FOUND;
        step := 'claim';
        n := i;
        status := rec.status;
        user_id := rec.user_id;
        started_at := rec.started_at;
        claimed := false;
        IF rec.status = 'active' AND (p_writers[i] IS NULL OR rec.user_id = p_writers[i]) THEN
            INSERT INTO recording_chunks (recording_id, org_id, chunk_index, sha256, byte_length, event_count,
                                          last_event_time, has_header, state)
            VALUES (p_claims[i], p_org, p_claim_indexes[i], p_claim_sha256s[i], p_byte_lengths[i], p_event_counts[i],
                    p_last_event_times[i], p_has_headers[i], 'pending')
            ON CONFLICT DO NOTHING;
            claimed := FOUND;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;

DROP FUNCTION castvault_claim_chunk(uuid, uuid, integer, bytea, bigint, integer, double precision, boolean, uuid);
DROP FUNCTION castvault_mark_chunk_stored(uuid, uuid, integer, bytea);
