DROP TABLE customer_changes;
DROP TABLE customer_emails;
ALTER TABLE customers DROP COLUMN country;
ALTER TABLE customers DROP COLUMN city;
ALTER TABLE customers DROP COLUMN zip;
ALTER TABLE customers DROP COLUMN street;
ALTER TABLE customers DROP COLUMN organization;
ALTER TABLE customers DROP COLUMN phone;
