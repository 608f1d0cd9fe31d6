ALTER TABLE employee_tokens DROP COLUMN password_only;
ALTER TABLE employees DROP COLUMN password_once;
