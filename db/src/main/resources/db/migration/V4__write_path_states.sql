-- Write path without object-store calls inside transactions (issue 12): every step's state is in a row, so a
-- crash or an ambiguous commit between steps is resolved by looking at the row and the store, never by guessing.

-- A chunk is claimed ('pending') before its object is put and marked 'stored' after; only stored chunks were ever
-- acknowledged. A pending claim older than the claim lease is reconciled against the store by a retry or the
-- sweeper (object present with the claimed SHA-256 -> stored; otherwise the claim is released).
ALTER TABLE recording_chunks
    ADD COLUMN state text NOT NULL DEFAULT 'stored' CHECK (state IN ('pending', 'stored')),
    ADD COLUMN claimed_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX recording_chunks_pending_idx ON recording_chunks (claimed_at) WHERE state = 'pending';

ALTER TABLE session_recordings
    -- the sealed object recordings/{org}/{id}/recording.cast exists and is what the cast route serves; false for
    -- recordings completed before it existed (their download is assembled from the chunks)
    ADD COLUMN sealed boolean NOT NULL DEFAULT false,
    -- the chunk objects of a sealed recording are gone (their hashes stay in the summary); until then retention
    -- deletes them too
    ADD COLUMN chunks_cleared boolean NOT NULL DEFAULT false,
    -- one seal at a time: a complete takes the token, hashes and writes with no lock held, and commits only while
    -- it still holds the token; a token older than the seal lease may be taken over
    ADD COLUMN seal_token uuid,
    ADD COLUMN seal_started_at timestamptz,
    -- the abandoned-recording completer backs off a recording it could not seal instead of retrying every run
    ADD COLUMN seal_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN next_seal_at timestamptz,
    -- the sweeper that is deleting this recording's objects (with no row lock held); a lease, taken over when stale
    ADD COLUMN delete_claimed_at timestamptz;
