-- Whether a key's leads must bring a proof of work (the ALTCHA widget's `altcha` field):
-- one without a valid, unused solution is stored held as spam.
ALTER TABLE api_keys ADD COLUMN challenge INTEGER NOT NULL DEFAULT 0;

-- The challenges whose solution a lead has used (by the challenge's signature), until they
-- expire: a solution counts once. Written in the lead's transaction.
CREATE TABLE spent_challenges (
    id TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX spent_challenges_expires_at ON spent_challenges (expires_at);
