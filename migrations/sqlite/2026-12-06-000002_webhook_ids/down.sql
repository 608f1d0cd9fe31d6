DROP INDEX outbox_failed;
ALTER TABLE outbox DROP COLUMN message_id;
