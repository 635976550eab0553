-- Issue 11: a recording's metadata used to list every missing chunk index, so chunks 0 and 1,000,000 stored a
-- 999,999-entry array (~7 MB) that every get and list read again. Gaps are now inclusive ranges
-- ([[2, 999999]], Sealing#missingRanges); this rewrites the flat arrays already stored. Consecutive indexes are
-- one island: index minus its rank is the same all along a run (gaps and islands). Summaries in the object
-- store keep their bytes (evidence manifests vouch for them) and are translated when read (SummaryUpgrade).

SELECT set_config('castvault.all_orgs', 'on', true);

-- only arrays of numbers alone (one already in ranges is left as it is), filtered before any is taken apart
WITH flat AS MATERIALIZED (
    SELECT id, metadata -> 'missing_chunks' AS missing
      FROM session_recordings
     WHERE jsonb_typeof(metadata -> 'missing_chunks') = 'array'
       -- strict: lax mode would look into nested arrays and call [[1, 1]] numbers; silent: not an error on a
       -- non-array, whichever condition runs first
       AND NOT jsonb_path_exists(metadata -> 'missing_chunks', 'strict $[*] ? (@.type() != "number")', '{}', true)
), indexes AS (
    SELECT DISTINCT f.id, (e.value #>> '{}')::numeric::bigint AS i
      FROM flat f, jsonb_array_elements(f.missing) e
), islands AS (
    SELECT id, min(i) AS first, max(i) AS last
      FROM (SELECT id, i, i - row_number() OVER (PARTITION BY id ORDER BY i) AS island FROM indexes) ranked
     GROUP BY id, island
)
UPDATE session_recordings r
   SET metadata = jsonb_set(r.metadata, '{missing_chunks}', ranges.missing)
  FROM (SELECT id, jsonb_agg(jsonb_build_array(first, last) ORDER BY first) AS missing
          FROM islands GROUP BY id) ranges
 WHERE r.id = ranges.id;

SELECT set_config('castvault.all_orgs', '', true);
