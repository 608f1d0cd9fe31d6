-- Leads leave the building (see lead-store's outbox.rs and the lead-deliver crate).
--
-- A company's webhook endpoints. The secret signs every request (Standard Webhooks); after a
-- rotation the previous one signs too, until previous_secret_until.
CREATE TABLE webhooks (
    id                      BIGSERIAL PRIMARY KEY,
    company_id              BIGINT  NOT NULL REFERENCES companies (id),
    url                     TEXT    NOT NULL,
    -- the events it receives, comma-separated (order.created, ticket.created, …)
    events                  TEXT    NOT NULL,
    format                  TEXT    NOT NULL CHECK (format IN ('standard', 'slack')),
    secret                  TEXT    NOT NULL,
    previous_secret         TEXT,
    previous_secret_until   BIGINT,
    active                  INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    -- why it was disabled (410 Gone, failing for days, the operator)
    disabled_reason         TEXT,
    last_success_at         BIGINT,
    -- the first failed attempt since the last success
    failing_since           BIGINT,
    created_at              BIGINT  NOT NULL,
    -- removed by the operator: kept, so its deliveries still say where they went
    removed_at              BIGINT
);
CREATE INDEX webhooks_company ON webhooks (company_id) WHERE removed_at IS NULL;

-- Whether an employee gets an e-mail per new lead, and whether a key's senders get a
-- confirmation e-mail.
ALTER TABLE employees ADD COLUMN notify_email INTEGER NOT NULL DEFAULT 1 CHECK (notify_email IN (0, 1));
ALTER TABLE api_keys ADD COLUMN confirm_sender INTEGER NOT NULL DEFAULT 0 CHECK (confirm_sender IN (0, 1));
-- Confirmation e-mails sent per key and day, against [smtp] confirmations_per_key_per_day.
ALTER TABLE key_daily_counts ADD COLUMN confirmations BIGINT NOT NULL DEFAULT 0;

-- The outbox: one row per delivery owed, written in the transaction of what caused it (a
-- lead, a decision, a release), then sent by the delivery workers until it is delivered or
-- has failed for good. Every new lead writes one, so it carries no foreign keys and no CHECKs:
-- measured, their lookups cost the single writer ~6 µs per lead. Only lead-store writes it,
-- with ids from the same transaction (companies, records and employees are never deleted,
-- endpoints only marked removed) and with the words of its enums: channel webhook | email |
-- push, status pending | delivered | failed.
CREATE TABLE outbox (
    id                BIGSERIAL PRIMARY KEY,
    company_id        BIGINT  NOT NULL,
    channel           TEXT    NOT NULL,
    event             TEXT    NOT NULL,
    -- where to: a webhook endpoint, an employee's address; an e-mail to neither is the
    -- confirmation to the lead's sender
    webhook_id        BIGINT,
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
-- What is due: the workers' claims, and a company's pending deliveries.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
-- A company's finished deliveries, for its lists: indexed only once finished, so that a new
-- lead pays for one outbox index (the worker pays for this one when it records the attempt).
CREATE INDEX outbox_company ON outbox (company_id, id) WHERE status <> 'pending';

-- Every attempt of a delivery: when, the answer (HTTP or SMTP status), the error, how long.
CREATE TABLE outbox_attempts (
    id           BIGSERIAL PRIMARY KEY,
    outbox_id    BIGINT  NOT NULL REFERENCES outbox (id),
    at           BIGINT  NOT NULL,
    status       INTEGER,
    error        TEXT,
    duration_ms  BIGINT  NOT NULL
);
CREATE INDEX outbox_attempts_delivery ON outbox_attempts (outbox_id);

-- A notification may be about a webhook endpoint (disabled: 410 Gone, or failing for days)
-- instead of a lead.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications DROP CONSTRAINT notifications_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('order', 'ticket', 'webhook'));
ALTER TABLE notifications ADD CONSTRAINT notifications_check
    CHECK (CASE kind WHEN 'webhook' THEN order_id IS NULL AND ticket_id IS NULL
                     ELSE (order_id IS NULL) <> (ticket_id IS NULL) END);
