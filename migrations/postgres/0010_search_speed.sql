-- Search that stays fast at 100,000 posts (issue 13; SQLite dialect in migrations/sqlite/0010).

-- The title's own document, small enough to stay in the row: the title tier of a search
-- (crate::domain::search::Tier) reads it instead of the whole document, which lives out of
-- line in TOAST (3.7 KB on average for the demo's posts).
ALTER TABLE posts ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', folio_unaccent(title))) STORED;
CREATE INDEX posts_title_search ON posts USING GIN (title_vector);
ALTER TABLE pages ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', folio_unaccent(title))) STORED;
CREATE INDEX pages_title_search ON pages USING GIN (title_vector);

-- A number that changes with every write to posts or pages, in the writing transaction, so a
-- cache of what readers see can tell it is out of date (crate::cache). Issue 15's page cache
-- adds the other tables whose writes change public pages.
CREATE TABLE content_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO content_generation (id, value) VALUES (1, 0);

CREATE FUNCTION folio_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE content_generation SET value = value + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER posts_generation AFTER INSERT OR UPDATE OR DELETE ON posts
    FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_generation();
CREATE TRIGGER pages_generation AFTER INSERT OR UPDATE OR DELETE ON pages
    FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_generation();
