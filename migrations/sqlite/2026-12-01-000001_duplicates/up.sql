-- Why the submission log's request was answered as it was, where the status does not say
-- it (a form's redirect that was not followed). (Duplicate suppression needs no table on
-- SQLite: its one writer keeps the fingerprints in memory, see lead-store's duplicates.rs.)
ALTER TABLE submissions ADD COLUMN note TEXT;
