ALTER TABLE submissions DROP COLUMN note;
