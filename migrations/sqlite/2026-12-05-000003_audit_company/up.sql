-- The company an audit entry is about, so that a company's admins see their own company's
-- entries in the dashboard. NULL: about the installation (or written before this column).
ALTER TABLE audit_log ADD COLUMN company_id BIGINT;
CREATE INDEX audit_log_company ON audit_log (company_id, id);
