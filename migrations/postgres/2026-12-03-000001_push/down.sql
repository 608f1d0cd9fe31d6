DELETE FROM outbox_attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE channel = 'push');
DELETE FROM outbox WHERE channel = 'push';
ALTER TABLE outbox RENAME COLUMN target_id TO webhook_id;
ALTER TABLE employees DROP COLUMN notify_push;
DROP TABLE push_subscriptions;
DROP TABLE vapid_keys;
