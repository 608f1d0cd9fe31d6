DROP TABLE key_daily_counts;
ALTER TABLE api_keys DROP COLUMN daily_cap;
ALTER TABLE tickets DROP COLUMN held;
ALTER TABLE web_orders DROP COLUMN held;
