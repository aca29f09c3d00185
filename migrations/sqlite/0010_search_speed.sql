-- Search and the sitemap at 100,000 posts (issue 13; PostgreSQL dialect in migrations/postgres/0010).

-- The visibility of a post, beside its id: search checks it for a thousand matches a query, and
-- reading it from the row itself walks past the bodies (3 ms instead of 8 ms at 100,000 posts).
CREATE INDEX posts_visibility ON posts (id, status, published_at);

-- What the sitemap reads of every visible post (its dates, author and series), in the order it
-- finds them by: without it each row's status and dates are read past its bodies (the sitemap's
-- posts parts 605 ms -> 138 ms, its tags 659 ms -> 182 ms at 100,000 posts).
CREATE INDEX posts_changes ON posts (status, published_at, updated_at, id, author_id, series_id);

-- A number that changes with every write to posts or pages, in the writing transaction, so a
-- cache of what readers see can tell it is out of date (crate::cache). Issue 15's page cache
-- adds the other tables whose writes change public pages.
CREATE TABLE content_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO content_generation (id, value) VALUES (1, 0);

CREATE TRIGGER posts_generation_insert AFTER INSERT ON posts
BEGIN UPDATE content_generation SET value = value + 1; END;
CREATE TRIGGER posts_generation_update AFTER UPDATE ON posts
BEGIN UPDATE content_generation SET value = value + 1; END;
CREATE TRIGGER posts_generation_delete AFTER DELETE ON posts
BEGIN UPDATE content_generation SET value = value + 1; END;
CREATE TRIGGER pages_generation_insert AFTER INSERT ON pages
BEGIN UPDATE content_generation SET value = value + 1; END;
CREATE TRIGGER pages_generation_update AFTER UPDATE ON pages
BEGIN UPDATE content_generation SET value = value + 1; END;
CREATE TRIGGER pages_generation_delete AFTER DELETE ON pages
BEGIN UPDATE content_generation SET value = value + 1; END;
