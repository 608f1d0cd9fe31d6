-- What the team keeps of a customer besides the name and the main address: each empty until
-- someone enters it (the zip is text: "01067", "SW1A 1AA").
ALTER TABLE customers ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN organization TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN street TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN zip TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN country TEXT NOT NULL DEFAULT '';

-- Every address of a customer, the main one (customers.email) among them: a lead from any of
-- them is filed under it, and the unique key makes an address one customer's within a
-- company, whether main or further. Written with the customer, deleted with it.
CREATE TABLE customer_emails (
    id                BIGSERIAL PRIMARY KEY,
    company_id        BIGINT NOT NULL REFERENCES companies (id),
    customer_id       BIGINT NOT NULL REFERENCES customers (id),
    email             TEXT   NOT NULL,
    email_normalized  TEXT   NOT NULL,
    UNIQUE (company_id, email_normalized)
);
CREATE INDEX customer_emails_customer ON customer_emails (customer_id);
INSERT INTO customer_emails (company_id, customer_id, email, email_normalized)
    SELECT company_id, id, email, email_normalized FROM customers ORDER BY id;

-- A customer file's history: who changed which fields when, with the values before and after
-- (JSON: [["phone", "", "+49 351 1234"]], in the order of the fields); it goes with the file
-- (erasure).
CREATE TABLE customer_changes (
    id           BIGSERIAL PRIMARY KEY,
    company_id   BIGINT NOT NULL REFERENCES companies (id),
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    employee_id  BIGINT REFERENCES employees (id),
    actor        TEXT   NOT NULL,
    at           BIGINT NOT NULL,
    changes      TEXT   NOT NULL
);
CREATE INDEX customer_changes_customer ON customer_changes (customer_id);
