-- Most leads come from people who are not (yet) customers: index only the records filed
-- under one. Every lead stored without a customer then costs one index update fewer (a
-- query by customer_id = … still uses these: it implies customer_id IS NOT NULL).
DROP INDEX web_orders_customer;
CREATE INDEX web_orders_customer ON web_orders (customer_id) WHERE customer_id IS NOT NULL;
DROP INDEX tickets_customer;
CREATE INDEX tickets_customer ON tickets (customer_id) WHERE customer_id IS NOT NULL;
