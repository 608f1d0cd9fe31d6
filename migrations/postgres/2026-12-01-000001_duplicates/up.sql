-- Duplicate suppression (PostgreSQL): the fingerprint of every recently stored lead (the first
-- 64 bits of the SHA-256 of its body in a canonical spelling) per API key. The same body with
-- the same key within [intake] duplicate_window_secs is answered with the first lead and not
-- stored again; the primary key makes that hold for simultaneous writers and for many
-- instances. The fingerprint leads the key, so a batch's lookup is one index probe per body.
-- Rows older than the window are pruned by the writers. (SQLite, with its one writer, keeps
-- the fingerprints in memory: see lead-store's duplicates.rs.)
CREATE TABLE lead_fingerprints (
    fingerprint  BIGINT NOT NULL,
    api_key_id   BIGINT NOT NULL,
    lead_type    TEXT   NOT NULL CHECK (lead_type IN ('order', 'ticket')),
    record_id    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (fingerprint, api_key_id)
);
CREATE INDEX lead_fingerprints_by_time ON lead_fingerprints (created_at);
-- Why the submission log's request was answered as it was, where the status does not say
-- it (a form's redirect that was not followed).
ALTER TABLE submissions ADD COLUMN note TEXT;
