-- The live streams read an employee's notifications in (xact, id) order. Built CONCURRENTLY
-- (outside a transaction, see metadata.toml): on a large table the build takes a while, and
-- instances of the previous version go on writing leads meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS notifications_stream ON notifications (employee_id, xact, id);
