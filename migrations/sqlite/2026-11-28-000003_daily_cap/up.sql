-- Leads held back from the team: 'quarantine' (past the key's daily cap). A held lead is
-- stored whole, notifies nobody and is seen only by the operator until released.
ALTER TABLE web_orders ADD COLUMN held TEXT;
ALTER TABLE tickets ADD COLUMN held TEXT;
-- Per key: how many leads a day (UTC) reach the team; NULL means no cap.
ALTER TABLE api_keys ADD COLUMN daily_cap BIGINT;
-- Leads stored per capped key and day (days since 1970-01-01, UTC).
CREATE TABLE key_daily_counts (
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id),
    day        BIGINT NOT NULL,
    leads      BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, day)
);
