-- Web Push (RFC 8030, 8291, 8292): the third channel of the outbox (see lead-store's push.rs
-- and lead-deliver's push.rs).
--
-- The server's VAPID key pair (P-256), made at the first start with push enabled: one row.
-- The private key signs every push request; browsers subscribe with the public key, so a new
-- pair would orphan every subscription.
CREATE TABLE vapid_keys (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    -- base64url without padding: the 32-byte private scalar, the 65-byte uncompressed point
    private_key  TEXT    NOT NULL,
    public_key   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);

-- An employee's devices: a browser's PushSubscription (endpoint and keys), a label made from
-- its user agent, and when a push last reached it. A push service that answers 404 or 410
-- for it has forgotten it: the row is deleted then.
CREATE TABLE push_subscriptions (
    id               INTEGER PRIMARY KEY,
    company_id       BIGINT  NOT NULL REFERENCES companies (id),
    employee_id      BIGINT  NOT NULL REFERENCES employees (id),
    -- the push service's URL for this device (a capability: shown to nobody whole)
    endpoint         TEXT    NOT NULL UNIQUE,
    -- the device's P-256 public key and 16-byte authentication secret, base64url
    p256dh           TEXT    NOT NULL,
    auth             TEXT    NOT NULL,
    device           TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    last_success_at  BIGINT
);
CREATE INDEX push_subscriptions_employee ON push_subscriptions (employee_id);

-- Whether an employee's devices get a push per new lead.
ALTER TABLE employees ADD COLUMN notify_push INTEGER NOT NULL DEFAULT 1 CHECK (notify_push IN (0, 1));

-- An outbox row's target is a webhook endpoint (channel webhook) or a push subscription
-- (channel push): one column for both keeps the table within Diesel's 16 columns.
ALTER TABLE outbox RENAME COLUMN webhook_id TO target_id;
