-- Wrong passwords are counted per login (the email typed, lower-cased — whether or not an
-- employee has it, so that unknown and known addresses cost the store the same work) and
-- client address, and per login from every address (client '*': the account throttle, an
-- exponential backoff). Replaces login_failures, which counted per employee and address only.
DROP TABLE login_failures;
CREATE TABLE login_throttle (
    login        TEXT    NOT NULL,
    client       TEXT    NOT NULL,
    failed       INTEGER NOT NULL,
    locked_until BIGINT,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (login, client)
);
