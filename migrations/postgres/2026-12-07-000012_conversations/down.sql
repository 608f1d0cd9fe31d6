ALTER TABLE attachments DROP COLUMN message_id;
DROP TABLE messages;
DROP TABLE mailboxes;
UPDATE tickets SET status = 'open' WHERE status = 'pending';
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check CHECK (status IN ('open', 'closed'));
