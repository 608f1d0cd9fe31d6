-- E-mail conversations on leads (issue 28): a ticket may wait for the customer ('pending',
-- set by a reply) and may come from an e-mail (no key), a company may have a mailbox, and a
-- lead a conversation.
--
-- SQLite changes a CHECK only by rebuilding the table, and a table others refer to only with
-- foreign keys off, which a transaction cannot switch: this migration runs outside diesel's
-- transaction (metadata.toml) in one of its own.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE tickets_rebuilt (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id        BIGINT  NOT NULL REFERENCES companies (id),
    -- the key it came with; NULL: made from an e-mail to the company's mailbox
    api_key_id        BIGINT  REFERENCES api_keys (id),
    customer_id       BIGINT  REFERENCES customers (id),
    email             TEXT    NOT NULL,
    email_normalized  TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    message           TEXT    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed')),
    payload           TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL,
    -- who last changed the status, and when
    status_changed_by BIGINT  REFERENCES employees (id),
    status_changed_at BIGINT,
    held              TEXT,
    owner_id          BIGINT  REFERENCES employees (id),
    owner_by          BIGINT  REFERENCES employees (id),
    consent_given     INTEGER,
    consent_text      TEXT,
    consent_at        BIGINT,
    consent_page      TEXT,
    consent_client    TEXT
);
INSERT INTO tickets_rebuilt SELECT * FROM tickets;
-- The ids given so far stay given (AUTOINCREMENT's high-water mark, which the drop would lose).
DELETE FROM sqlite_sequence WHERE name = 'tickets_rebuilt';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'tickets_rebuilt', MAX(seq) FROM (
        SELECT seq FROM sqlite_sequence WHERE name = 'tickets'
        UNION ALL SELECT COALESCE(MAX(id), 0) FROM tickets_rebuilt
    );
DROP TABLE tickets;
ALTER TABLE tickets_rebuilt RENAME TO tickets;
CREATE INDEX tickets_company_status ON tickets (company_id, status, id);
CREATE INDEX tickets_unassigned ON tickets (company_id, email_normalized) WHERE customer_id IS NULL;
CREATE INDEX tickets_customer ON tickets (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX tickets_owner ON tickets (company_id, owner_id);

-- A company's mailbox (at most one): where replies leave from and where the customers' answers
-- and new enquiries are read. The URLs hold passwords: never shown again once set.
CREATE TABLE mailboxes (
    company_id    BIGINT PRIMARY KEY NOT NULL REFERENCES companies (id),
    -- imaps://user:password@host[:port]/FOLDER (or imap://…?tls=required)
    imap_url      TEXT   NOT NULL,
    -- the company's address: "Bäckerei Schmidt <service@baeckerei-schmidt.de>"
    from_address  TEXT   NOT NULL,
    -- where replies go out; NULL: the server's [smtp]
    smtp_url      TEXT,
    -- a folder imported messages are moved to; NULL: they are marked read where they are
    move_to       TEXT,
    -- how far the import got: the folder's UIDVALIDITY and the highest UID imported
    uid_validity  BIGINT,
    last_uid      BIGINT NOT NULL DEFAULT 0,
    -- the last check that worked, and the last error (cleared by the next success)
    checked_at    BIGINT,
    last_error    TEXT,
    last_error_at BIGINT,
    -- the server instance reading it, until its lease runs out (one reader per mailbox)
    reader        TEXT,
    reader_until  BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- A lead's e-mail conversation: each message out (a reply of the team) and in (the
-- customer's answer, or the e-mail a ticket was made of).
CREATE TABLE messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id    BIGINT NOT NULL REFERENCES companies (id),
    order_id      BIGINT REFERENCES web_orders (id),
    ticket_id     BIGINT REFERENCES tickets (id),
    direction     TEXT   NOT NULL CHECK (direction IN ('in', 'out')),
    -- the Message-ID (RFC 5322, without the angle brackets): made here for a reply, read from
    -- an e-mail that came in (one per company: a message is filed once)
    message_id    TEXT   NOT NULL,
    in_reply_to   TEXT,
    -- the References, oldest first, separated by spaces
    refs          TEXT   NOT NULL DEFAULT '',
    sender        TEXT   NOT NULL,
    recipient     TEXT   NOT NULL,
    subject       TEXT   NOT NULL,
    text          TEXT   NOT NULL,
    -- who wrote it (out)
    employee_id   BIGINT REFERENCES employees (id),
    -- the outbox row that sends it (out); the outbox has no foreign keys
    delivery_id   BIGINT,
    -- how that delivery ended ('delivered', 'failed': also after the outbox row is purged, and
    -- 'failed' when it bounced); NULL while it is pending
    delivery      TEXT,
    -- an auto-reply or bulk mail (in): filed, never notifies
    automatic     INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    -- the e-mail as it came (in); last, so that reading the columns before it never reads it
    raw           BLOB
);
CREATE INDEX messages_order ON messages (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX messages_ticket ON messages (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE UNIQUE INDEX messages_message_id ON messages (company_id, message_id);
CREATE INDEX messages_delivery ON messages (delivery_id) WHERE delivery_id IS NOT NULL;

-- The files of an e-mail that came in hang on its message (and on its lead, like a form's);
-- the column goes before the data (rebuilt as the tickets are).
CREATE TABLE attachments_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id    BIGINT NOT NULL REFERENCES companies (id),
    order_id      BIGINT REFERENCES web_orders (id),
    ticket_id     BIGINT REFERENCES tickets (id),
    filename      TEXT   NOT NULL,
    content_type  TEXT   NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT   NOT NULL,
    scan          TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    message_id    BIGINT REFERENCES messages (id),
    -- last, so that reading the columns before it never reads its pages
    data          BLOB   NOT NULL
);
INSERT INTO attachments_rebuilt (id, company_id, order_id, ticket_id, filename, content_type, size, sha256, scan, created_at, data)
    SELECT id, company_id, order_id, ticket_id, filename, content_type, size, sha256, scan, created_at, data FROM attachments;
DELETE FROM sqlite_sequence WHERE name = 'attachments_rebuilt';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'attachments_rebuilt', MAX(seq) FROM (
        SELECT seq FROM sqlite_sequence WHERE name = 'attachments'
        UNION ALL SELECT COALESCE(MAX(id), 0) FROM attachments_rebuilt
    );
DROP TABLE attachments;
ALTER TABLE attachments_rebuilt RENAME TO attachments;
CREATE INDEX attachments_order ON attachments (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX attachments_ticket ON attachments (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX attachments_pending ON attachments (id) WHERE scan = 'pending';
CREATE INDEX attachments_message ON attachments (message_id) WHERE message_id IS NOT NULL;
COMMIT;
PRAGMA foreign_keys = ON;
