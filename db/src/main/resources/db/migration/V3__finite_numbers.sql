-- Issue 11: an asciicast time of 1e309 used to become Infinity and reach duration_seconds, the chunk rows and the
-- stats counters (NaN after a delete), and every list of the org failed on it. The parser now refuses such
-- numbers; this repairs what is stored already and makes the database refuse them too. The bound (10^9 s,
-- about 31 years) is CastParser.MAX_EVENT_SECONDS.

SELECT set_config('castvault.all_orgs', 'on', true);

-- A duration that is not a finite number in range is unknown: NULL, as for a recording still active.
UPDATE session_recordings
   SET duration_seconds = NULL
 WHERE duration_seconds IS NOT NULL
   AND NOT (duration_seconds >= 0 AND duration_seconds <= 1000000000);

-- A chunk's latest event time only feeds a derived duration; 0 is "no usable time".
UPDATE recording_chunks
   SET last_event_time = 0
 WHERE NOT (last_event_time >= 0 AND last_event_time <= 1000000000);

-- jsonb cannot hold a non-finite number, but a serializer may have written one as a string; drop those members.
UPDATE session_recordings r
   SET metadata = r.metadata - bad.keys
  FROM (SELECT id, array_agg(key) AS keys
          FROM session_recordings, jsonb_each(metadata)
         WHERE jsonb_typeof(value) = 'string' AND value #>> '{}' IN ('NaN', 'Infinity', '-Infinity')
         GROUP BY id) bad
 WHERE r.id = bad.id;

-- The counters may hold Infinity or NaN (Infinity - Infinity) from before: rebuild them from the repaired rows.
DELETE FROM recording_stats;
INSERT INTO recording_stats (org_id, machine_id, status, recordings, total_duration)
SELECT org_id, machine_id, status, count(*), coalesce(sum(duration_seconds::numeric), 0)
FROM session_recordings
GROUP BY org_id, machine_id, status;

SELECT set_config('castvault.all_orgs', '', true);

-- NaN compares greater than every number in PostgreSQL, so "<= bound" refuses NaN and Infinity alike.
ALTER TABLE session_recordings ADD CONSTRAINT session_recordings_duration_finite
    CHECK (duration_seconds IS NULL OR (duration_seconds >= 0 AND duration_seconds <= 1000000000));
ALTER TABLE recording_chunks ADD CONSTRAINT recording_chunks_last_event_time_finite
    CHECK (last_event_time >= 0 AND last_event_time <= 1000000000);
ALTER TABLE recording_stats ADD CONSTRAINT recording_stats_total_duration_finite
    CHECK (total_duration > '-Infinity' AND total_duration < 'Infinity');
