-- The files a lead came with, in the database itself: written in the lead's transaction, so
-- a lead is never acknowledged without its files, and every instance serves them. `scan` is
-- clamd's verdict: 'clean', 'pending' (not yet scanned: not served), 'infected' (never
-- served) or 'off' (no scanner configured). They go with their lead (purge, erasure).
CREATE TABLE attachments (
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
    -- last, so that reading the columns before it never reads its pages
    data          BLOB   NOT NULL
);
CREATE INDEX attachments_order ON attachments (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX attachments_ticket ON attachments (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX attachments_pending ON attachments (id) WHERE scan = 'pending';

-- A note may be the server's own (a file it did not take): no author.
CREATE TABLE notes_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id   BIGINT NOT NULL REFERENCES companies (id),
    employee_id  BIGINT REFERENCES employees (id),
    order_id     BIGINT REFERENCES web_orders (id),
    ticket_id    BIGINT REFERENCES tickets (id),
    customer_id  BIGINT REFERENCES customers (id),
    text         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
INSERT INTO notes_rebuilt SELECT * FROM notes;
-- The ids given so far stay given (AUTOINCREMENT's high-water mark, which the drop would lose:
-- a note deleted as the newest must not see its id again).
DELETE FROM sqlite_sequence WHERE name = 'notes_rebuilt';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'notes_rebuilt', MAX(seq) FROM (
        SELECT seq FROM sqlite_sequence WHERE name = 'notes'
        UNION ALL SELECT COALESCE(MAX(id), 0) FROM notes_rebuilt
    );
DROP TABLE notes;
ALTER TABLE notes_rebuilt RENAME TO notes;
CREATE INDEX notes_order ON notes (order_id);
CREATE INDEX notes_ticket ON notes (ticket_id);
CREATE INDEX notes_customer ON notes (customer_id);
