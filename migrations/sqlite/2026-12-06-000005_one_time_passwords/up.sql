-- One-time means once: a password an admin set in the dashboard lets the employee in once,
-- and only to set their own. password_once marks such a password (the first login with it
-- consumes it); password_only marks the session that login made, which opens nothing but the
-- page to set one's own password.
ALTER TABLE employees ADD COLUMN password_once INTEGER NOT NULL DEFAULT 0 CHECK (password_once IN (0, 1));
ALTER TABLE employee_tokens ADD COLUMN password_only INTEGER NOT NULL DEFAULT 0 CHECK (password_only IN (0, 1));
