-- Consent on record (DSGVO Art. 7(1)): whether the visitor gave it (1/0; NULL: the lead records
-- none), the sentence they saw, when, from which page, and from which (truncated) address.
ALTER TABLE web_orders ADD COLUMN consent_given INTEGER;
ALTER TABLE web_orders ADD COLUMN consent_text TEXT;
ALTER TABLE web_orders ADD COLUMN consent_at BIGINT;
ALTER TABLE web_orders ADD COLUMN consent_page TEXT;
ALTER TABLE web_orders ADD COLUMN consent_client TEXT;
ALTER TABLE tickets ADD COLUMN consent_given INTEGER;
ALTER TABLE tickets ADD COLUMN consent_text TEXT;
ALTER TABLE tickets ADD COLUMN consent_at BIGINT;
ALTER TABLE tickets ADD COLUMN consent_page TEXT;
ALTER TABLE tickets ADD COLUMN consent_client TEXT;

-- The consent sentence a key's form shows, recorded with each of its leads that sends none.
ALTER TABLE api_keys ADD COLUMN consent_text TEXT;
