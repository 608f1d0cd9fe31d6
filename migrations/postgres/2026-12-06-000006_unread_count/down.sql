DROP INDEX IF EXISTS notifications_unread;
