-- Back to ids without AUTOINCREMENT (they may then be given again).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE customers_rebuilt (
    id                INTEGER PRIMARY KEY,
    company_id        BIGINT NOT NULL REFERENCES companies (id),
    name              TEXT   NOT NULL,
    -- lowercased by the application (SQLite's lower() knows only ASCII), for search
    name_normalized   TEXT   NOT NULL,
    email             TEXT   NOT NULL,
    email_normalized  TEXT   NOT NULL,
    created_at        BIGINT NOT NULL,
    UNIQUE (company_id, email_normalized)
);
INSERT INTO customers_rebuilt SELECT * FROM customers;
DROP TABLE customers;
ALTER TABLE customers_rebuilt RENAME TO customers;
CREATE TABLE web_orders_rebuilt (
    id                INTEGER PRIMARY KEY,
    company_id        BIGINT  NOT NULL REFERENCES companies (id),
    api_key_id        BIGINT  NOT NULL REFERENCES api_keys (id),
    customer_id       BIGINT  REFERENCES customers (id),
    email             TEXT    NOT NULL,
    email_normalized  TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    message           TEXT,
    total_cents       BIGINT  NOT NULL CHECK (total_cents >= 0),
    status            TEXT    NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'accepted', 'rejected')),
    payload           TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL,
    -- who accepted or rejected the order, and when
    decided_by        BIGINT  REFERENCES employees (id),
    decided_at        BIGINT
, held TEXT);
INSERT INTO web_orders_rebuilt SELECT * FROM web_orders;
DROP TABLE web_orders;
ALTER TABLE web_orders_rebuilt RENAME TO web_orders;
CREATE INDEX web_orders_company_status ON web_orders (company_id, status, id);
CREATE INDEX web_orders_unassigned ON web_orders (company_id, email_normalized) WHERE customer_id IS NULL;
CREATE INDEX web_orders_customer ON web_orders (customer_id) WHERE customer_id IS NOT NULL;
CREATE TABLE tickets_rebuilt (
    id                INTEGER PRIMARY KEY,
    company_id        BIGINT  NOT NULL REFERENCES companies (id),
    api_key_id        BIGINT  NOT NULL REFERENCES api_keys (id),
    customer_id       BIGINT  REFERENCES customers (id),
    email             TEXT    NOT NULL,
    email_normalized  TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    message           TEXT    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    payload           TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL,
    -- who last closed or reopened the ticket, and when
    status_changed_by BIGINT  REFERENCES employees (id),
    status_changed_at BIGINT
, held TEXT);
INSERT INTO tickets_rebuilt SELECT * FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_rebuilt RENAME TO tickets;
CREATE INDEX tickets_company_status ON tickets (company_id, status, id);
CREATE INDEX tickets_unassigned ON tickets (company_id, email_normalized) WHERE customer_id IS NULL;
CREATE INDEX tickets_customer ON tickets (customer_id) WHERE customer_id IS NOT NULL;
CREATE TABLE notifications_rebuilt (
    id           INTEGER PRIMARY KEY,
    company_id   BIGINT NOT NULL REFERENCES companies (id),
    employee_id  BIGINT NOT NULL REFERENCES employees (id),
    kind         TEXT   NOT NULL CHECK (kind IN ('order', 'ticket', 'webhook')),
    text         TEXT   NOT NULL,
    order_id     BIGINT REFERENCES web_orders (id),
    ticket_id    BIGINT REFERENCES tickets (id),
    read_at      BIGINT,
    created_at   BIGINT NOT NULL,
    CHECK (CASE kind WHEN 'webhook' THEN order_id IS NULL AND ticket_id IS NULL
                     ELSE (order_id IS NULL) <> (ticket_id IS NULL) END)
);
INSERT INTO notifications_rebuilt SELECT * FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_rebuilt RENAME TO notifications;
CREATE INDEX notifications_employee ON notifications (employee_id, id);
CREATE TABLE notes_rebuilt (
    id           INTEGER PRIMARY KEY,
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
CREATE TABLE outbox_rebuilt (
    id                INTEGER PRIMARY KEY,
    company_id        BIGINT  NOT NULL,
    channel           TEXT    NOT NULL,
    event             TEXT    NOT NULL,
    -- where to: a webhook endpoint, an employee's address; an e-mail to neither is the
    -- confirmation to the lead's sender
    target_id        BIGINT,
    employee_id       BIGINT,
    order_id          BIGINT,
    ticket_id         BIGINT,
    -- what is sent, fixed at the first attempt so that every retry sends the same
    body              TEXT,
    status            TEXT    NOT NULL DEFAULT 'pending',
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT  NOT NULL,
    -- a worker is sending it until then (a worker that died leaves it to the others after)
    claimed_until     BIGINT,
    last_status       INTEGER,
    last_error        TEXT,
    created_at        BIGINT  NOT NULL
);
INSERT INTO outbox_rebuilt SELECT * FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_company ON outbox (company_id, id) WHERE status <> 'pending';
COMMIT;
PRAGMA foreign_keys = ON;
