-- The websites a key may be used from (space-separated origins such as https://www.example.de):
-- a browser request from any other Origin is refused, and a form's redirect must go to one
-- of them. NULL: any origin, and no redirects.
ALTER TABLE api_keys ADD COLUMN origins TEXT;
