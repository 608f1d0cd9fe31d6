-- Every dashboard page counts the employee's unread notifications for the bell: the index
-- holds only the unread ones, so the count reads that many index entries and no row.
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (employee_id) WHERE read_at IS NULL;
