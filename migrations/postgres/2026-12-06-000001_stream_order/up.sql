-- The order in which notifications became visible, for the live streams (lead-store's
-- notifications.rs): the id of the transaction that wrote the row. Writers on several
-- connections take ids in one order and commit in another, so a stream that read "ids above
-- the last one sent" skipped rows committed late; it now reads in (xact, id) order, and only
-- rows of transactions older than every one still running. Rows from before stay 0: first.
ALTER TABLE notifications ADD COLUMN xact BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ALTER COLUMN xact SET DEFAULT (pg_current_xact_id()::text::bigint);
-- Its index is built by migration 2026-12-06-000003, without locking out the writers.
