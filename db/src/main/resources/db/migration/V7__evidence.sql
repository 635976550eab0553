-- Evidence (issue 14): per-org signing keys, and the seal and removal log the digest chain is built from.

-- One Ed25519 key pair per org at a time; earlier keys stay listed (valid_until set) because they still vouch
-- for what they signed. The private key is the 32-byte seed, AES-256-GCM encrypted under CASTVAULT_MASTER_KEY
-- (nonce || ciphertext || tag, bound to org id and key id as associated data).
CREATE TABLE signing_keys (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    fingerprint      text NOT NULL,
    public_key       text NOT NULL,
    private_key_enc  bytea NOT NULL,
    valid_from       timestamptz NOT NULL DEFAULT now(),
    valid_until      timestamptz
);
-- at most one current key per org, also when two instances create the first key at once
CREATE UNIQUE INDEX signing_keys_current_idx ON signing_keys (org_id) WHERE valid_until IS NULL;
CREATE INDEX signing_keys_org_idx ON signing_keys (org_id, valid_from);

-- A recording became sealed (completed). Written by a trigger in the sealing transaction itself, so no seal can
-- commit without its entry. No foreign key: the entry outlives the recording, which the digest must account for.
CREATE TABLE evidence_seals (
    recording_id     uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    started_at       timestamptz NOT NULL,
    sealed_at        timestamptz NOT NULL,
    manifest_sha256  bytea CHECK (length(manifest_sha256) = 32),
    digest_seq       bigint
);
CREATE INDEX evidence_seals_undigested_idx ON evidence_seals (org_id, sealed_at) WHERE digest_seq IS NULL;

-- A sealed recording was hidden for deletion, with the reason the deleting transaction stated
-- (castvault.removal_reason / castvault.removal_actor) and the retention policy in force at that moment.
CREATE TABLE evidence_removals (
    recording_id     uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    started_at       timestamptz NOT NULL,
    removed_at       timestamptz NOT NULL,
    reason           text NOT NULL CHECK (reason IN ('retention', 'admin_delete', 'unexplained')),
    retention_days   integer NOT NULL,
    actor_id         uuid,
    digest_seq       bigint
);
CREATE INDEX evidence_removals_undigested_idx ON evidence_removals (org_id) WHERE digest_seq IS NULL;

-- The digest chain. A row is claimed (written_at NULL, claimed_until set) before its objects are put, so exactly
-- one instance writes each digest; one whose put failed is retried with the same content, late but never skipped.
CREATE TABLE evidence_digests (
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    seq            bigint NOT NULL CHECK (seq >= 1),
    object_key     text NOT NULL,
    due_at         timestamptz NOT NULL,
    claimed_until  timestamptz,
    written_at     timestamptz,
    sha256         bytea CHECK (length(sha256) = 32),
    signature      bytea,
    PRIMARY KEY (org_id, seq)
);

-- Seals and digest claims of one org are serialised by an advisory lock on the org: a seal holds it shared until
-- it commits, a digest claim exclusively. So every seal stamped before a digest's due_at is visible to that claim,
-- and the offline verifier may call a signed recording sealed before the newest digest but in none a gap.
CREATE FUNCTION castvault_evidence_lock_key(org uuid) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT ('x' || substr(md5('castvault-evidence:' || org::text), 1, 16))::bit(64)::bigint
$$;

CREATE FUNCTION castvault_evidence_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reason text;
BEGIN
    IF NEW.status = 'completed' AND OLD.status IS DISTINCT FROM 'completed' THEN
        PERFORM pg_advisory_xact_lock_shared(castvault_evidence_lock_key(NEW.org_id));
        INSERT INTO evidence_seals (recording_id, org_id, started_at, sealed_at)
        VALUES (NEW.id, NEW.org_id, NEW.started_at, date_trunc('milliseconds', clock_timestamp()))
        ON CONFLICT (recording_id) DO NOTHING;
    ELSIF NEW.status = 'deleting' AND OLD.status IS DISTINCT FROM 'deleting' THEN
        reason := coalesce(nullif(current_setting('castvault.removal_reason', true), ''), 'unexplained');
        INSERT INTO evidence_removals (recording_id, org_id, started_at, removed_at, reason, retention_days, actor_id)
        SELECT s.recording_id, s.org_id, s.started_at, date_trunc('milliseconds', clock_timestamp()), reason,
               coalesce((SELECT recording_retention_days FROM org_settings WHERE org_id = NEW.org_id), 90),
               nullif(current_setting('castvault.removal_actor', true), '')::uuid
        FROM evidence_seals s WHERE s.recording_id = NEW.id
        ON CONFLICT (recording_id) DO NOTHING;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER session_recordings_evidence AFTER UPDATE OF status ON session_recordings
    FOR EACH ROW EXECUTE FUNCTION castvault_evidence_log();

ALTER TABLE signing_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE signing_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON signing_keys
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

ALTER TABLE evidence_seals ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence_seals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON evidence_seals
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

ALTER TABLE evidence_removals ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence_removals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON evidence_removals
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));

ALTER TABLE evidence_digests ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence_digests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON evidence_digests
    USING (org_id = (SELECT castvault_current_org()) OR (SELECT castvault_all_orgs()));
