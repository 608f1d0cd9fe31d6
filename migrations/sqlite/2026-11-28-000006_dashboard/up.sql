-- The team's dashboard: employees log in with email and password (an argon2id hash); after
-- too many wrong passwords an account is locked for a while.
ALTER TABLE employees ADD COLUMN password_hash TEXT;
ALTER TABLE employees ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE employees ADD COLUMN locked_until BIGINT;
-- A dashboard session is an employee token that expires (NULL: the team API's tokens, which
-- last until revoked).
ALTER TABLE employee_tokens ADD COLUMN expires_at BIGINT;
