DROP INDEX audit_log_company;
ALTER TABLE audit_log DROP COLUMN company_id;
