ALTER TABLE submissions DROP COLUMN note;
DROP TABLE lead_fingerprints;
