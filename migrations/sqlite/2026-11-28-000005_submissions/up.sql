-- Every request to the lead endpoint, accepted or not, so a website developer can see why a
-- form fails. Kept for [submissions] retention_days, then pruned. company_id is NULL when the
-- request had no valid key; body only for failures (at most 8 KiB, keys redacted).
CREATE TABLE submissions (
    id          INTEGER PRIMARY KEY,
    at          BIGINT  NOT NULL,
    company_id  BIGINT,
    key_prefix  TEXT,
    origin      TEXT,
    client_ip   TEXT,
    status      INTEGER NOT NULL,
    code        TEXT,
    size        BIGINT  NOT NULL,
    body        TEXT
);
CREATE INDEX submissions_by_time ON submissions (at);
CREATE INDEX submissions_by_company ON submissions (company_id, id);
