-- The lead gateway's schema. Timestamps are Unix milliseconds (UTC); flags and money are
-- integers (cents), so the same schema reads the same on PostgreSQL.

CREATE TABLE companies (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  BIGINT  NOT NULL
);

CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    company_id    BIGINT  NOT NULL REFERENCES companies (id),
    prefix        TEXT    NOT NULL,
    key_hash      TEXT    NOT NULL UNIQUE,
    label         TEXT    NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX api_keys_company ON api_keys (company_id);
CREATE INDEX api_keys_prefix ON api_keys (prefix);

CREATE TABLE employees (
    id          INTEGER PRIMARY KEY,
    company_id  BIGINT  NOT NULL REFERENCES companies (id),
    name        TEXT    NOT NULL,
    email       TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  BIGINT  NOT NULL
);
CREATE INDEX employees_company ON employees (company_id, active);

-- Bearer tokens of the team API; like API keys, only the SHA-256 is stored.
CREATE TABLE employee_tokens (
    id           INTEGER PRIMARY KEY,
    employee_id  BIGINT  NOT NULL REFERENCES employees (id),
    prefix       TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   BIGINT  NOT NULL
);
CREATE INDEX employee_tokens_employee ON employee_tokens (employee_id);

CREATE TABLE customers (
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

CREATE TABLE web_orders (
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
);
CREATE INDEX web_orders_company_status ON web_orders (company_id, status, id);
CREATE INDEX web_orders_customer ON web_orders (customer_id);
CREATE INDEX web_orders_unassigned ON web_orders (company_id, email_normalized) WHERE customer_id IS NULL;

CREATE TABLE tickets (
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
);
CREATE INDEX tickets_company_status ON tickets (company_id, status, id);
CREATE INDEX tickets_customer ON tickets (customer_id);
CREATE INDEX tickets_unassigned ON tickets (company_id, email_normalized) WHERE customer_id IS NULL;

CREATE TABLE notifications (
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
CREATE INDEX notifications_employee ON notifications (employee_id, id);
-- Notifications are found by employee only; no index on order_id / ticket_id, so each lead
-- costs three index updates fewer (records are never deleted, so no foreign-key lookups).

-- Idempotency-Key of accepted leads: a retry with the same key (and API key) within 24 hours
-- gets the first answer instead of a second record.
CREATE TABLE idempotency_keys (
    api_key_id  BIGINT NOT NULL REFERENCES api_keys (id),
    idem_key    TEXT   NOT NULL,
    lead_type   TEXT   NOT NULL CHECK (lead_type IN ('order', 'ticket')),
    record_id   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);

-- Who changed what about access: keys issued, imported, revoked; companies and employees
-- (de)activated; employee tokens issued and revoked. Written in the same transaction as the
-- change itself.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       BIGINT NOT NULL,
    actor    TEXT   NOT NULL,
    action   TEXT   NOT NULL,
    subject  TEXT   NOT NULL
);
