DROP TABLE login_throttle;
CREATE TABLE login_failures (
    employee_id  BIGINT NOT NULL REFERENCES employees (id),
    client       TEXT   NOT NULL,
    failed       INTEGER NOT NULL,
    locked_until BIGINT,
    PRIMARY KEY (employee_id, client)
);
