DELETE FROM notifications WHERE kind = 'webhook';
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications DROP CONSTRAINT notifications_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('order', 'ticket'));
ALTER TABLE notifications ADD CONSTRAINT notifications_check CHECK ((order_id IS NULL) <> (ticket_id IS NULL));
