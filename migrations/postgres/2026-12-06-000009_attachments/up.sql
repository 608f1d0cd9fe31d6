-- The files a lead came with, in the database itself: written in the lead's transaction, so
-- a lead is never acknowledged without its files, and every instance serves them. `scan` is
-- clamd's verdict: 'clean', 'pending' (not yet scanned: not served), 'infected' (never
-- served) or 'off' (no scanner configured). They go with their lead (purge, erasure).
CREATE TABLE attachments (
    id            BIGSERIAL PRIMARY KEY,
    company_id    BIGINT NOT NULL REFERENCES companies (id),
    order_id      BIGINT REFERENCES web_orders (id),
    ticket_id     BIGINT REFERENCES tickets (id),
    filename      TEXT   NOT NULL,
    content_type  TEXT   NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT   NOT NULL,
    scan          TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    data          BYTEA  NOT NULL
);
-- Out of line (TOAST) but not compressed: photos, PDFs and Office files are compressed
-- already, and trying again costs every write CPU for nothing.
ALTER TABLE attachments ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX attachments_order ON attachments (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX attachments_ticket ON attachments (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX attachments_pending ON attachments (id) WHERE scan = 'pending';

-- A note may be the server's own (a file it did not take): no author.
ALTER TABLE notes ALTER COLUMN employee_id DROP NOT NULL;
