-- Issue 18: storage mode `custom`, an org's recordings in the org's own bucket.
-- One row per place an org has stored recordings in. Saving the same endpoint/bucket/prefix again only rotates the
-- credentials (recordings written there keep working with the new keys); another place is a new row, and the old
-- row stays for the recordings that live in it.
CREATE TABLE org_storage (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    endpoint         text NOT NULL CHECK (length(endpoint) <= 512),
    region           text NOT NULL CHECK (length(region) <= 64),
    bucket           text NOT NULL CHECK (length(bucket) <= 63),
    key_prefix       text NOT NULL DEFAULT '' CHECK (length(key_prefix) <= 256),
    path_style       boolean NOT NULL DEFAULT true,
    -- AES-256-GCM under CASTVAULT_MASTER_KEY, bound to the row id (the AAD), never stored or logged in plain text
    access_key_enc   bytea NOT NULL,
    secret_key_enc   bytea NOT NULL,
    -- bumped on every credential rotation, so each instance rebuilds its cached client
    version          integer NOT NULL DEFAULT 1,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, endpoint, bucket, key_prefix)
);

ALTER TABLE org_settings ADD COLUMN custom_store_id uuid REFERENCES org_storage (id);

-- NULL: the platform store. Set once, when the row is inserted, from the org's settings at that moment; a recording
-- never moves, whatever the org switches to later.
ALTER TABLE session_recordings ADD COLUMN store_id uuid REFERENCES org_storage (id);

CREATE FUNCTION castvault_recording_store() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT s.custom_store_id INTO NEW.store_id FROM org_settings s
     WHERE s.org_id = NEW.org_id AND s.recording_storage_mode = 'custom';
    RETURN NEW;
END
$$;
CREATE TRIGGER session_recordings_store BEFORE INSERT ON session_recordings
    FOR EACH ROW EXECUTE FUNCTION castvault_recording_store();

ALTER TABLE org_storage ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_storage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_storage
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));
