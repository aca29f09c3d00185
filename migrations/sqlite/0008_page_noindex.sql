-- A page can ask search engines not to index it (<meta name="robots" content="noindex">); the
-- sitemap leaves such pages out.
ALTER TABLE pages ADD COLUMN noindex BOOLEAN NOT NULL DEFAULT FALSE;
