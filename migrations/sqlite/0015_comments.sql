-- Issue 17: readers' comments, and readers' suggested corrections.
--
-- A comment's status: 'pending' (waiting for a moderator), 'approved' (shown), 'spam' and
-- 'trash' (kept for the moderators, never shown). A comment its author deleted keeps its row
-- with deleted_at set and its text wiped, so replies under it keep their place.
CREATE TABLE comments (
    id              INTEGER PRIMARY KEY,
    post_id         BIGINT  NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    -- One level of replies: a reply's parent is always a top-level comment.
    parent_id       BIGINT  REFERENCES comments (id) ON DELETE CASCADE,
    user_id         BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    author_name     TEXT    NOT NULL,
    -- Never shown: for the moderators, the block list and reply notices.
    author_email    TEXT    NOT NULL DEFAULT '',
    author_url      TEXT    NOT NULL DEFAULT '',
    body_md         TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'spam', 'trash')),
    -- Why a comment waits or was marked spam by the rules ('links', 'blocked', 'first', ...).
    held_for        TEXT    NOT NULL DEFAULT '',
    staff_reply     BOOLEAN NOT NULL DEFAULT FALSE,
    notify_replies  BOOLEAN NOT NULL DEFAULT FALSE,
    client_addr     TEXT    NOT NULL DEFAULT '',
    user_agent      TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    edited_at       BIGINT,
    deleted_at      BIGINT,
    -- The last change of any kind (posted, edited, deleted, moderated): what an article's
    -- Last-Modified follows.
    changed_at      BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX comments_by_post   ON comments (post_id, status, created_at, id);
CREATE INDEX comments_by_status ON comments (status, created_at DESC, id DESC);
CREATE INDEX comments_by_parent ON comments (parent_id);
CREATE INDEX comments_by_email  ON comments (author_email, status);

-- Per post: NULL follows the site's setting, else 'open', 'members' or 'closed'.
ALTER TABLE posts ADD COLUMN comment_policy TEXT;
-- The comments shown, kept by the triggers below for post cards and the JSON-LD.
ALTER TABLE posts ADD COLUMN comment_count BIGINT NOT NULL DEFAULT 0;
-- Whether the user is mailed when someone comments on their posts.
ALTER TABLE users ADD COLUMN notify_comments BOOLEAN NOT NULL DEFAULT TRUE;

-- What readers see changes only with a comment that is, or was, approved: a pending comment or
-- spam leaves the page cache alone. The count is of the comments shown: approved, not deleted,
-- and for a reply, under an approved comment (a reply under a comment taken off the page goes
-- with it). It changes the post row only when it changes, which bumps the generation.
CREATE VIEW comments_shown AS
SELECT c.* FROM comments c WHERE c.status = 'approved' AND c.deleted_at IS NULL AND (c.parent_id IS NULL
    OR EXISTS (SELECT 1 FROM comments t WHERE t.id = c.parent_id AND t.status = 'approved'));

CREATE TRIGGER comments_count_insert AFTER INSERT ON comments WHEN NEW.status = 'approved'
BEGIN
    UPDATE posts SET comment_count = (SELECT COUNT(*) FROM comments_shown WHERE post_id = NEW.post_id)
    WHERE id = NEW.post_id;
END;

CREATE TRIGGER comments_count_update AFTER UPDATE OF status, deleted_at ON comments
WHEN OLD.status IS NOT NEW.status OR OLD.deleted_at IS NOT NEW.deleted_at
BEGIN
    UPDATE posts SET comment_count = (SELECT COUNT(*) FROM comments_shown WHERE post_id = NEW.post_id)
    WHERE id = NEW.post_id AND comment_count <> (SELECT COUNT(*) FROM comments_shown WHERE post_id = NEW.post_id);
END;

CREATE TRIGGER comments_count_delete AFTER DELETE ON comments WHEN OLD.status = 'approved'
BEGIN
    UPDATE posts SET comment_count = (SELECT COUNT(*) FROM comments_shown WHERE post_id = OLD.post_id)
    WHERE id = OLD.post_id;
END;

CREATE TRIGGER comments_generation_insert AFTER INSERT ON comments WHEN NEW.status = 'approved'
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER comments_generation_update AFTER UPDATE ON comments
WHEN OLD.status = 'approved' OR NEW.status = 'approved'
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER comments_generation_delete AFTER DELETE ON comments WHEN OLD.status = 'approved'
BEGIN UPDATE content_generation SET value = value + 1; END;

-- Readers' suggested corrections: a private queue, never shown on the site.
CREATE TABLE corrections (
    id           INTEGER PRIMARY KEY,
    post_id      BIGINT  NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    passage      TEXT    NOT NULL,
    problem      TEXT    NOT NULL,
    email        TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed')),
    client_addr  TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    decided_at   BIGINT,
    decided_by   BIGINT  REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX corrections_by_status ON corrections (status, created_at DESC, id DESC);

-- Dated correction notices shown above an article's body.
CREATE TABLE correction_notices (
    id          INTEGER PRIMARY KEY,
    post_id     BIGINT  NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    body        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    created_by  BIGINT  REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX correction_notices_by_post ON correction_notices (post_id, created_at, id);

CREATE TRIGGER correction_notices_generation_insert AFTER INSERT ON correction_notices
BEGIN UPDATE content_generation SET value = value + 1; END;
CREATE TRIGGER correction_notices_generation_update AFTER UPDATE ON correction_notices
BEGIN UPDATE content_generation SET value = value + 1; END;
CREATE TRIGGER correction_notices_generation_delete AFTER DELETE ON correction_notices
BEGIN UPDATE content_generation SET value = value + 1; END;
