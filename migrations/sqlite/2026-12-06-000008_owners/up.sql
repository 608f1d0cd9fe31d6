-- Who owns a lead: an employee of its company, or nobody (NULL); and who made them the owner
-- (NULL: the key's routing, when the lead arrived).
ALTER TABLE web_orders ADD COLUMN owner_id BIGINT REFERENCES employees (id);
ALTER TABLE web_orders ADD COLUMN owner_by BIGINT REFERENCES employees (id);
ALTER TABLE tickets ADD COLUMN owner_id BIGINT REFERENCES employees (id);
ALTER TABLE tickets ADD COLUMN owner_by BIGINT REFERENCES employees (id);
CREATE INDEX web_orders_owner ON web_orders (company_id, owner_id);
CREATE INDEX tickets_owner ON tickets (company_id, owner_id);

-- Each change of a lead's owner: who changed it when, from whom to whom (NULL: nobody). It goes
-- with the lead (erasure, retention).
CREATE TABLE owner_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id   BIGINT NOT NULL REFERENCES companies (id),
    order_id     BIGINT REFERENCES web_orders (id),
    ticket_id    BIGINT REFERENCES tickets (id),
    employee_id  BIGINT REFERENCES employees (id),
    actor        TEXT   NOT NULL,
    at           BIGINT NOT NULL,
    owner_before BIGINT REFERENCES employees (id),
    owner_after  BIGINT REFERENCES employees (id)
);
CREATE INDEX owner_changes_order ON owner_changes (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX owner_changes_ticket ON owner_changes (ticket_id) WHERE ticket_id IS NOT NULL;

-- Which new senders get a customer file of their own as their lead arrives: 'off' (only
-- existing customers match), 'orders', or 'all'.
ALTER TABLE companies ADD COLUMN auto_customers TEXT NOT NULL DEFAULT 'off';

-- Who a key's new leads go to: one employee (always them), several (in turn: route_next counts
-- the leads routed so far), or none (nobody owns them).
CREATE TABLE key_routes (
    api_key_id   BIGINT NOT NULL REFERENCES api_keys (id),
    employee_id  BIGINT NOT NULL REFERENCES employees (id),
    PRIMARY KEY (api_key_id, employee_id)
);
ALTER TABLE api_keys ADD COLUMN route_next BIGINT NOT NULL DEFAULT 0;
