-- The admin's post list at 100,000 posts: a tag's posts in last-changed order, and title search.

-- A copy of posts.updated_at on each of the post's tags, so the list filtered by a tag walks one
-- index in the list's order instead of probing every post for the tag. Triggers keep it true
-- whichever statement changes a post or tags it.
ALTER TABLE post_tags ADD COLUMN post_updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE post_tags SET post_updated_at = (SELECT updated_at FROM posts WHERE posts.id = post_tags.post_id);
CREATE INDEX post_tags_by_tag_updated ON post_tags (tag_id, post_updated_at DESC, post_id DESC);
CREATE INDEX post_tags_by_tag_post    ON post_tags (tag_id, post_id DESC);

CREATE TRIGGER post_tags_follow_post AFTER UPDATE OF updated_at ON posts
WHEN OLD.updated_at IS NOT NEW.updated_at
BEGIN
    UPDATE post_tags SET post_updated_at = NEW.updated_at WHERE post_id = NEW.id;
END;

CREATE TRIGGER post_tags_take_post_date AFTER INSERT ON post_tags
BEGIN
    UPDATE post_tags SET post_updated_at = (SELECT updated_at FROM posts WHERE id = NEW.post_id)
    WHERE post_id = NEW.post_id AND tag_id = NEW.tag_id;
END;

-- Title search by substring without reading every title: a trigram index (case-insensitive)
-- over posts.title, kept in step by triggers. Queries of three characters or more use it.
CREATE VIRTUAL TABLE post_titles USING fts5 (title, content = 'posts', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO post_titles (post_titles) VALUES ('rebuild');

CREATE TRIGGER post_titles_insert AFTER INSERT ON posts
BEGIN
    INSERT INTO post_titles (rowid, title) VALUES (NEW.id, NEW.title);
END;

CREATE TRIGGER post_titles_delete AFTER DELETE ON posts
BEGIN
    INSERT INTO post_titles (post_titles, rowid, title) VALUES ('delete', OLD.id, OLD.title);
END;

CREATE TRIGGER post_titles_update AFTER UPDATE OF title ON posts
WHEN OLD.title IS NOT NEW.title
BEGIN
    INSERT INTO post_titles (post_titles, rowid, title) VALUES ('delete', OLD.id, OLD.title);
    INSERT INTO post_titles (rowid, title) VALUES (NEW.id, NEW.title);
END;
