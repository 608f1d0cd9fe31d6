-- Internal notes of the team on an order, a ticket or a customer: who, when, what. Exactly
-- one of the three is set. They go with their record (purge, erasure).
CREATE TABLE notes (
    id           INTEGER PRIMARY KEY,
    company_id   BIGINT NOT NULL REFERENCES companies (id),
    employee_id  BIGINT NOT NULL REFERENCES employees (id),
    order_id     BIGINT REFERENCES web_orders (id),
    ticket_id    BIGINT REFERENCES tickets (id),
    customer_id  BIGINT REFERENCES customers (id),
    text         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX notes_order ON notes (order_id);
CREATE INDEX notes_ticket ON notes (ticket_id);
CREATE INDEX notes_customer ON notes (customer_id);
