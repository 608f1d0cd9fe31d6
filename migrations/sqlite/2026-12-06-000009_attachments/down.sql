DROP TABLE attachments;
DELETE FROM notes WHERE employee_id IS NULL;
CREATE TABLE notes_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id   BIGINT NOT NULL REFERENCES companies (id),
    employee_id  BIGINT NOT NULL REFERENCES employees (id),
    order_id     BIGINT REFERENCES web_orders (id),
    ticket_id    BIGINT REFERENCES tickets (id),
    customer_id  BIGINT REFERENCES customers (id),
    text         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
INSERT INTO notes_rebuilt SELECT * FROM notes;
DROP TABLE notes;
ALTER TABLE notes_rebuilt RENAME TO notes;
CREATE INDEX notes_order ON notes (order_id);
CREATE INDEX notes_ticket ON notes (ticket_id);
CREATE INDEX notes_customer ON notes (customer_id);
