-- Each delivery's `webhook-id`, what receivers deduplicate by: made when the row is written
-- (a UUIDv7 from the server), never another delivery's. It was `msg_<delivery id>`, and after
-- a restore from a backup the next deliveries took ids already used, so a receiver dropped new
-- leads as repeats. Deliveries still to be made or retried keep the id their attempts were
-- sent with; delivered ones, never sent again, stay NULL.
ALTER TABLE outbox ADD COLUMN message_id TEXT;
UPDATE outbox SET message_id = 'msg_' || id WHERE status <> 'delivered';
-- Deliveries that failed for good, for `lead-server status` (few rows: cheap to keep).
CREATE INDEX outbox_failed ON outbox (id) WHERE status = 'failed';
