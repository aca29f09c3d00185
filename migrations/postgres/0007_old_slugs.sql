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

-- TG_ARGV[0] is the kind of the table the trigger is on.
CREATE FUNCTION keep_old_slug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO slug_history (kind, old_slug, target_id, changed_at)
    VALUES (TG_ARGV[0], OLD.slug, OLD.id, EXTRACT(EPOCH FROM now())::BIGINT)
    ON CONFLICT (kind, old_slug)
    DO UPDATE SET target_id = EXCLUDED.target_id, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END
$$;
CREATE TRIGGER posts_keep_old_slug AFTER UPDATE OF slug ON posts FOR EACH ROW
    WHEN (OLD.slug <> NEW.slug) EXECUTE FUNCTION keep_old_slug('post');
CREATE TRIGGER pages_keep_old_slug AFTER UPDATE OF slug ON pages FOR EACH ROW
    WHEN (OLD.slug <> NEW.slug) EXECUTE FUNCTION keep_old_slug('page');
CREATE TRIGGER tags_keep_old_slug AFTER UPDATE OF slug ON tags FOR EACH ROW
    WHEN (OLD.slug <> NEW.slug) EXECUTE FUNCTION keep_old_slug('tag');
CREATE TRIGGER series_keep_old_slug AFTER UPDATE OF slug ON series FOR EACH ROW
    WHEN (OLD.slug <> NEW.slug) EXECUTE FUNCTION keep_old_slug('series');
CREATE TRIGGER users_keep_old_slug AFTER UPDATE OF slug ON users FOR EACH ROW
    WHEN (OLD.slug <> NEW.slug) EXECUTE FUNCTION keep_old_slug('author');

-- A deleted item's old slugs go with it, so no later row can inherit them by its id.
CREATE FUNCTION drop_old_slugs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM slug_history WHERE kind = TG_ARGV[0] AND target_id = OLD.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER posts_drop_old_slugs AFTER DELETE ON posts FOR EACH ROW EXECUTE FUNCTION drop_old_slugs('post');
CREATE TRIGGER pages_drop_old_slugs AFTER DELETE ON pages FOR EACH ROW EXECUTE FUNCTION drop_old_slugs('page');
CREATE TRIGGER tags_drop_old_slugs AFTER DELETE ON tags FOR EACH ROW EXECUTE FUNCTION drop_old_slugs('tag');
CREATE TRIGGER series_drop_old_slugs AFTER DELETE ON series FOR EACH ROW EXECUTE FUNCTION drop_old_slugs('series');
CREATE TRIGGER users_drop_old_slugs AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION drop_old_slugs('author');
