ALTER TABLE employee_tokens DROP COLUMN expires_at;
ALTER TABLE employees DROP COLUMN locked_until;
ALTER TABLE employees DROP COLUMN failed_logins;
ALTER TABLE employees DROP COLUMN password_hash;
