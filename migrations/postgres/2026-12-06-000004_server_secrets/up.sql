-- Secrets of the installation itself, shared by every instance: the key that signs the login
-- form's CSRF token (made by the first server that needs it).
CREATE TABLE server_secrets (
    name        TEXT   PRIMARY KEY,
    secret      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
