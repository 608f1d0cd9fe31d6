DROP INDEX web_orders_customer;
CREATE INDEX web_orders_customer ON web_orders (customer_id);
DROP INDEX tickets_customer;
CREATE INDEX tickets_customer ON tickets (customer_id);
