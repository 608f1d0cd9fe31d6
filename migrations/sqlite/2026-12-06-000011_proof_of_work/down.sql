DROP TABLE spent_challenges;
ALTER TABLE api_keys DROP COLUMN challenge;
