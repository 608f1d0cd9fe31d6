DROP INDEX notifications_stream;
ALTER TABLE notifications DROP COLUMN xact;
