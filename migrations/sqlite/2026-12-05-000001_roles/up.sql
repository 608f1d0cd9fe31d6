-- A company's admins manage its employees, keys, webhooks and data requests in the dashboard;
-- members work the inbox. Existing employees stay members; the operator makes admins.
ALTER TABLE employees ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
