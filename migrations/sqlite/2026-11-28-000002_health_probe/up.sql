-- One row that GET /healthz writes: a health check proves that a write commits, not only
-- that a read answers (a full disk, a read-only or deleted file fail only writes).
CREATE TABLE health_probe (
    id         INTEGER PRIMARY KEY,
    checked_at BIGINT  NOT NULL
);
