-- The order in which notifications became visible, for the live streams (lead-store's
-- notifications.rs). On PostgreSQL the transaction that wrote the row; SQLite writes one
-- transaction at a time, so its ids are already in commit order and this stays 0.
ALTER TABLE notifications ADD COLUMN xact BIGINT NOT NULL DEFAULT 0;
