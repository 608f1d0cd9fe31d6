ALTER TABLE employees DROP COLUMN role;
