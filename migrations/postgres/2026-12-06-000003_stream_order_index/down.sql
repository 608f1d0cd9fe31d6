DROP INDEX IF EXISTS notifications_stream;
