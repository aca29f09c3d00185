-- The admin's post list at 100,000 posts (PostgreSQL dialect of migrations/sqlite/0004).

-- A copy of posts.updated_at on each of the post's tags, so the list filtered by a tag walks one
-- index in the list's order instead of probing every post for the tag. Triggers keep it true
-- whichever statement changes a post or tags it.
ALTER TABLE post_tags ADD COLUMN post_updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE post_tags pt SET post_updated_at = p.updated_at FROM posts p WHERE p.id = pt.post_id;
CREATE INDEX post_tags_by_tag_updated ON post_tags (tag_id, post_updated_at DESC, post_id DESC);
CREATE INDEX post_tags_by_tag_post    ON post_tags (tag_id, post_id DESC);

CREATE FUNCTION post_tags_follow_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_tags SET post_updated_at = NEW.updated_at WHERE post_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER post_tags_follow_post AFTER UPDATE OF updated_at ON posts FOR EACH ROW
    WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at) EXECUTE FUNCTION post_tags_follow_post();

CREATE FUNCTION post_tags_take_post_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.post_updated_at := (SELECT updated_at FROM posts WHERE id = NEW.post_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER post_tags_take_post_date BEFORE INSERT ON post_tags FOR EACH ROW
    EXECUTE FUNCTION post_tags_take_post_date();

-- Title search by substring without reading every title: a trigram index over lower(title).
-- pg_trgm ships with PostgreSQL and is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX posts_title_trigrams ON posts USING gin (lower(title) gin_trgm_ops);
