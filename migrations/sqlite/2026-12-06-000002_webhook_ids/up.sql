-- Each delivery's `webhook-id`, what receivers deduplicate by: a UUIDv7 made when the row is
-- written, never another delivery's. It was `msg_<delivery id>`, and after a restore from a
-- backup the next deliveries took ids already used, so a receiver dropped new leads as
-- repeats. Rows from before keep the id their attempts were sent with.
ALTER TABLE outbox ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
UPDATE outbox SET message_id = 'msg_' || id;
-- Deliveries that failed for good, for `lead-server status` (few rows: cheap to keep).
CREATE INDEX outbox_failed ON outbox (id) WHERE status = 'failed';
