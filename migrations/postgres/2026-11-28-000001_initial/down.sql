DROP TABLE notifications;
DROP TABLE tickets;
DROP TABLE web_orders;
DROP TABLE customers;
DROP TABLE employee_tokens;
DROP TABLE employees;
DROP TABLE api_keys;
DROP TABLE companies;
