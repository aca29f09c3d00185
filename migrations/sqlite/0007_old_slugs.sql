-- Old slugs keep working (WordPress's old-slug redirect): when a post's, page's, tag's, series'
-- or author's slug changes, the slug it gave up is kept here, and the public site answers its
-- old URL with a 301 to the current one when nothing else holds that slug now.
--
-- Triggers write it, so whichever statement renames something (the editor, the admin's pages
-- and terms, a later one) records the old slug in its own transaction, with nothing to forget.
-- One row per (kind, old slug): the last item to give a slug up owns it. target_id names the
-- item rather than the slug it moved to, so a chain of renames resolves in one hop.
-- changed_at is the database's clock (the row is only ever read to follow it).
CREATE TABLE slug_history (
    kind        TEXT   NOT NULL CHECK (kind IN ('post', 'page', 'tag', 'series', 'author')),
    old_slug    TEXT   NOT NULL,
    target_id   BIGINT NOT NULL,
    changed_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, old_slug)
);
CREATE INDEX slug_history_by_target ON slug_history (kind, target_id);

CREATE TRIGGER posts_keep_old_slug AFTER UPDATE OF slug ON posts WHEN OLD.slug <> NEW.slug
BEGIN
    INSERT OR REPLACE INTO slug_history (kind, old_slug, target_id, changed_at)
    VALUES ('post', OLD.slug, OLD.id, CAST(strftime('%s', 'now') AS INTEGER));
END;
CREATE TRIGGER pages_keep_old_slug AFTER UPDATE OF slug ON pages WHEN OLD.slug <> NEW.slug
BEGIN
    INSERT OR REPLACE INTO slug_history (kind, old_slug, target_id, changed_at)
    VALUES ('page', OLD.slug, OLD.id, CAST(strftime('%s', 'now') AS INTEGER));
END;
CREATE TRIGGER tags_keep_old_slug AFTER UPDATE OF slug ON tags WHEN OLD.slug <> NEW.slug
BEGIN
    INSERT OR REPLACE INTO slug_history (kind, old_slug, target_id, changed_at)
    VALUES ('tag', OLD.slug, OLD.id, CAST(strftime('%s', 'now') AS INTEGER));
END;
CREATE TRIGGER series_keep_old_slug AFTER UPDATE OF slug ON series WHEN OLD.slug <> NEW.slug
BEGIN
    INSERT OR REPLACE INTO slug_history (kind, old_slug, target_id, changed_at)
    VALUES ('series', OLD.slug, OLD.id, CAST(strftime('%s', 'now') AS INTEGER));
END;
CREATE TRIGGER users_keep_old_slug AFTER UPDATE OF slug ON users WHEN OLD.slug <> NEW.slug
BEGIN
    INSERT OR REPLACE INTO slug_history (kind, old_slug, target_id, changed_at)
    VALUES ('author', OLD.slug, OLD.id, CAST(strftime('%s', 'now') AS INTEGER));
END;

-- A deleted item's old slugs go with it: SQLite may give its id to the next row, which must not
-- inherit them.
CREATE TRIGGER posts_drop_old_slugs AFTER DELETE ON posts
BEGIN
    DELETE FROM slug_history WHERE kind = 'post' AND target_id = OLD.id;
END;
CREATE TRIGGER pages_drop_old_slugs AFTER DELETE ON pages
BEGIN
    DELETE FROM slug_history WHERE kind = 'page' AND target_id = OLD.id;
END;
CREATE TRIGGER tags_drop_old_slugs AFTER DELETE ON tags
BEGIN
    DELETE FROM slug_history WHERE kind = 'tag' AND target_id = OLD.id;
END;
CREATE TRIGGER series_drop_old_slugs AFTER DELETE ON series
BEGIN
    DELETE FROM slug_history WHERE kind = 'series' AND target_id = OLD.id;
END;
CREATE TRIGGER users_drop_old_slugs AFTER DELETE ON users
BEGIN
    DELETE FROM slug_history WHERE kind = 'author' AND target_id = OLD.id;
END;
