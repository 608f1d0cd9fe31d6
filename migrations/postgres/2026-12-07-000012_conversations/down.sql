-- The deliveries of replies and of tickets waiting for the customer: an older server knows
-- neither event.
DELETE FROM outbox_attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE event IN ('message.reply', 'ticket.pending'));
DELETE FROM outbox WHERE event IN ('message.reply', 'ticket.pending');
DELETE FROM attachments WHERE message_id IS NOT NULL;
ALTER TABLE attachments DROP COLUMN message_id;
DROP TABLE messages;
DROP TABLE mailboxes;
UPDATE tickets SET status = 'open' WHERE status = 'pending';
-- Tickets made from e-mails (no key) cannot stay: with what hangs on them.
DELETE FROM notifications WHERE ticket_id IN (SELECT id FROM tickets WHERE api_key_id IS NULL);
DELETE FROM notes WHERE ticket_id IN (SELECT id FROM tickets WHERE api_key_id IS NULL);
DELETE FROM attachments WHERE ticket_id IN (SELECT id FROM tickets WHERE api_key_id IS NULL);
DELETE FROM owner_changes WHERE ticket_id IN (SELECT id FROM tickets WHERE api_key_id IS NULL);
DELETE FROM tickets WHERE api_key_id IS NULL;
ALTER TABLE tickets ALTER COLUMN api_key_id SET NOT NULL;
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check CHECK (status IN ('open', 'closed'));
