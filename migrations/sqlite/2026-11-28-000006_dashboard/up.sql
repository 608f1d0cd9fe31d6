-- The team's dashboard: employees log in with email and password (an argon2id hash).
ALTER TABLE employees ADD COLUMN password_hash TEXT;
-- A dashboard session is an employee token that expires (NULL: the team API's tokens, which
-- last until revoked).
ALTER TABLE employee_tokens ADD COLUMN expires_at BIGINT;
-- Wrong passwords per account and client address: too many lock that address out of that
-- account for a while — an attacker elsewhere cannot lock the employee out.
CREATE TABLE login_failures (
    employee_id  BIGINT NOT NULL REFERENCES employees (id),
    client       TEXT   NOT NULL,
    failed       INTEGER NOT NULL,
    locked_until BIGINT,
    PRIMARY KEY (employee_id, client)
);
