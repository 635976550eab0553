-- A recording deleted while one of its objects was being written left that object behind until the orphan sweep
-- (ORPHAN_GRACE, a day by default). The delete action lists and deletes the recording's objects, and retention's
-- removal names the objects its row knew and is carried out at once; a write already on its way lands after the
-- listing or the deletion: a chunk claimed before either, the cast and summary of a seal in progress, the manifest
-- (and its signature) of a sealed recording whose manifest hash is not recorded yet. None of these writes can begin
-- once the recording's row is locked for the deletion (a claim needs the recording active under a share lock, a
-- seal its token, a manifest its sealed row), and each one under way ends within its store calls.
--
-- castvault_defer_objects_in_flight(p_ids) names those objects in a removal of their own, held from now on: a
-- sweeper takes a removal over only once its lease has run out (ten store call timeouts plus a minute, the claims'
-- and seals' own lease: no writer is still inside a store call by then) and deletes their keys then. The delete
-- action calls it in the transaction that marks its recording, retention (RemovalQueries) in the one that deletes
-- the rows, under the same lock. Only recordings with such a write possibly under way get one.
--
-- Each recording is looked at through its own keys, so a retention batch costs a few index probes per recording:
-- the pending chunks only of a recording whose chunk objects are not cleared (a sealed one's were deleted after its
-- seal; a claim's PUT that lands even later stays the orphan sweep's, as before), by the primary key ("<> 'stored'",
-- not "= 'pending'": that would let the planner walk the pending-claims index once per recording, and after heavy
-- ingest that index holds an entry for every claim since stored until vacuum); the manifest only of a sealed
-- recording, by its evidence row's key.
CREATE FUNCTION castvault_defer_objects_in_flight(p_ids uuid[]) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO object_removals (org_id, claimed_at, recordings)
    SELECT w.org_id, now(),
           jsonb_build_array(jsonb_build_object('org', w.org_id, 'id', w.id, 'store', w.store_id, 'sealed', w.sealing,
                                                'manifest', w.manifest, 'chunks', coalesce(w.chunks, '[]'::jsonb)))
    FROM (SELECT s.org_id, s.id, s.store_id,
                 s.seal_token IS NOT NULL AS sealing,
                 coalesce(CASE WHEN s.sealed THEN (SELECT e.manifest_sha256 IS NULL FROM evidence_seals e
                                                   WHERE e.recording_id = s.id) END, false) AS manifest,
                 CASE WHEN NOT s.chunks_cleared THEN
                     (SELECT jsonb_agg(c.chunk_index ORDER BY c.chunk_index) FROM recording_chunks c
                      WHERE c.recording_id = s.id AND c.state <> 'stored') END AS chunks
          FROM session_recordings s WHERE s.id = ANY (p_ids)) w
    WHERE w.sealing OR w.manifest OR w.chunks IS NOT NULL;
$$;
