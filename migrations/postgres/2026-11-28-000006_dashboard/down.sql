DROP TABLE login_failures;
ALTER TABLE employee_tokens DROP COLUMN expires_at;
ALTER TABLE employees DROP COLUMN password_hash;
