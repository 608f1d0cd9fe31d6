ALTER TABLE notifications DROP COLUMN xact;
