-- recording_chunks' CHECK constraints become domains (issue 13). PostgreSQL reads a table's CHECK constraints back
-- from their stored text, and plans them, for every statement that inserts or updates the table: upload_chunk's
-- claim and mark are such statements, about one per chunk each, and that reading was a fifth of PostgreSQL's
-- instructions per chunk (callgrind of castvault_chunk_steps, bench/README.md). A domain's constraints are read
-- once per connection and kept with the type; an UPDATE checks only the columns it sets. Same rules as before, on
-- the same columns; NOT NULL stays on the table.
--
-- Each column first becomes an unconstrained domain over its own type, which PostgreSQL does without rewriting
-- the table or its indexes; the constraints are then added to the domains (checking the rows, which the table's
-- constraints have kept valid) and the table's copies dropped.
CREATE DOMAIN castvault_chunk_index AS integer;
CREATE DOMAIN castvault_sha256 AS bytea;
CREATE DOMAIN castvault_byte_length AS bigint;
CREATE DOMAIN castvault_event_time AS double precision;
CREATE DOMAIN castvault_chunk_state AS text;

ALTER TABLE recording_chunks
    ALTER COLUMN chunk_index TYPE castvault_chunk_index,
    ALTER COLUMN sha256 TYPE castvault_sha256,
    ALTER COLUMN byte_length TYPE castvault_byte_length,
    ALTER COLUMN last_event_time TYPE castvault_event_time,
    ALTER COLUMN state TYPE castvault_chunk_state;

ALTER DOMAIN castvault_chunk_index ADD CONSTRAINT castvault_chunk_index_check CHECK (VALUE >= 0);
ALTER DOMAIN castvault_sha256 ADD CONSTRAINT castvault_sha256_check CHECK (length(VALUE) = 32);
ALTER DOMAIN castvault_byte_length ADD CONSTRAINT castvault_byte_length_check CHECK (VALUE >= 0);
-- NaN compares greater than every number in PostgreSQL, so "<= bound" refuses NaN and Infinity alike (V3)
ALTER DOMAIN castvault_event_time ADD CONSTRAINT castvault_event_time_finite CHECK (VALUE >= 0 AND VALUE <= 1000000000);
ALTER DOMAIN castvault_chunk_state ADD CONSTRAINT castvault_chunk_state_check CHECK (VALUE IN ('pending', 'stored'));

ALTER TABLE recording_chunks
    DROP CONSTRAINT recording_chunks_chunk_index_check,
    DROP CONSTRAINT recording_chunks_sha256_check,
    DROP CONSTRAINT recording_chunks_byte_length_check,
    DROP CONSTRAINT recording_chunks_last_event_time_finite,
    DROP CONSTRAINT recording_chunks_state_check;
