-- Duplicate suppression: the fingerprint of every recently stored lead (the first 128 bits
-- of the SHA-256 of its body in a canonical spelling, as hex) per API key. The same body
-- with the same key within [intake] duplicate_window_secs is answered with the first lead
-- and not stored again; the primary key makes that hold for simultaneous requests and for
-- many instances. Rows older than the window are pruned by the writers.
CREATE TABLE lead_fingerprints (
    api_key_id   BIGINT NOT NULL REFERENCES api_keys (id),
    fingerprint  TEXT   NOT NULL,
    lead_type    TEXT   NOT NULL CHECK (lead_type IN ('order', 'ticket')),
    record_id    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, fingerprint)
);
CREATE INDEX lead_fingerprints_by_time ON lead_fingerprints (created_at);
-- Why the submission log's request was answered as it was, where the status does not say
-- it (a form's redirect that was not followed).
ALTER TABLE submissions ADD COLUMN note TEXT;
