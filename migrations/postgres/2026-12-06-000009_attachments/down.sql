DROP TABLE attachments;
DELETE FROM notes WHERE employee_id IS NULL;
ALTER TABLE notes ALTER COLUMN employee_id SET NOT NULL;
