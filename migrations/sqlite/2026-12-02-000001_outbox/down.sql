DELETE FROM notifications WHERE kind = 'webhook';
CREATE TABLE notifications_old (
    id           INTEGER PRIMARY KEY,
    company_id   BIGINT NOT NULL REFERENCES companies (id),
    employee_id  BIGINT NOT NULL REFERENCES employees (id),
    kind         TEXT   NOT NULL CHECK (kind IN ('order', 'ticket')),
    text         TEXT   NOT NULL,
    order_id     BIGINT REFERENCES web_orders (id),
    ticket_id    BIGINT REFERENCES tickets (id),
    read_at      BIGINT,
    created_at   BIGINT NOT NULL,
    CHECK ((order_id IS NULL) <> (ticket_id IS NULL))
);
INSERT INTO notifications_old SELECT id, company_id, employee_id, kind, text, order_id, ticket_id, read_at, created_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;
CREATE INDEX notifications_employee ON notifications (employee_id, id);
DROP TABLE outbox_attempts;
DROP TABLE outbox;
ALTER TABLE key_daily_counts DROP COLUMN confirmations;
ALTER TABLE api_keys DROP COLUMN confirm_sender;
ALTER TABLE employees DROP COLUMN notify_email;
DROP TABLE webhooks;
