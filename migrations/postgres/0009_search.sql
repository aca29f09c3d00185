-- Full-text search over posts and pages (issue 13; SQLite dialect in migrations/sqlite/0009).

-- Each body's plain text beside its HTML (domain::markdown::Rendered::text), written with it.
-- Stored bodies get theirs when the renderer version goes to 3 (crate::rerender).
ALTER TABLE posts ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN body_text TEXT NOT NULL DEFAULT '';

-- unaccent folds accents, so `cafe` finds `café`. It ships with PostgreSQL and is a trusted
-- extension: a database owner may create it. Its function is only STABLE (it reads a
-- dictionary), so an IMMUTABLE wrapper naming the dictionary lets a generated column use it.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE FUNCTION folio_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT unaccent('unaccent'::regdictionary, $1) $$;

-- The weighted document, title (A) above body (B), computed by PostgreSQL itself on every
-- write, so it can never be out of step; the 'simple' configuration folds case and stems
-- nothing (a site's language is not known to be English).
ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', folio_unaccent(title)), 'A')
    || setweight(to_tsvector('simple', folio_unaccent(body_text)), 'B')) STORED;
CREATE INDEX posts_search ON posts USING GIN (search_vector);

ALTER TABLE pages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', folio_unaccent(title)), 'A')
    || setweight(to_tsvector('simple', folio_unaccent(body_text)), 'B')) STORED;
CREATE INDEX pages_search ON pages USING GIN (search_vector);
