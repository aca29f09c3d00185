-- The admin: revisions, preview links, media, the audit log, and indexes for the admin's lists.

-- Every explicit save of a post keeps its text here; the editor diffs and restores from it.
CREATE TABLE post_revisions (
    id        INTEGER PRIMARY KEY,
    post_id   BIGINT  NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    version   BIGINT  NOT NULL,
    title     TEXT    NOT NULL,
    body_md   TEXT    NOT NULL,
    excerpt   TEXT    NOT NULL,
    saved_by  BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    saved_at  BIGINT  NOT NULL,
    note      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX post_revisions_by_post ON post_revisions (post_id, id DESC);

-- The excerpt as the writer typed it; posts.excerpt holds the one shown (typed, else derived).
ALTER TABLE posts ADD COLUMN excerpt_typed TEXT NOT NULL DEFAULT '';

-- A secret link that shows a draft to whoever holds it; NULL until an editor asks for one.
ALTER TABLE posts ADD COLUMN preview_token TEXT;
CREATE UNIQUE INDEX posts_by_preview_token ON posts (preview_token);

-- The admin's post list: newest change first, optionally by status or author; sorted by title.
CREATE INDEX posts_by_updated        ON posts (updated_at DESC, id DESC);
CREATE INDEX posts_by_status_updated ON posts (status, updated_at DESC, id DESC);
CREATE INDEX posts_by_author_updated ON posts (author_id, updated_at DESC, id DESC);
CREATE INDEX posts_by_title          ON posts (title, id);
CREATE INDEX posts_by_series_updated ON posts (series_id, updated_at DESC, id DESC);
CREATE INDEX pages_by_updated        ON pages (updated_at DESC, id DESC);

-- Uploaded files. stored_name is generated; original_name is only ever shown, never used as a path.
CREATE TABLE media (
    id             INTEGER PRIMARY KEY,
    stored_name    TEXT    NOT NULL UNIQUE,
    original_name  TEXT    NOT NULL,
    content_type   TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('image', 'file')),
    byte_size      BIGINT  NOT NULL,
    width          BIGINT,
    height         BIGINT,
    -- Widths of the resized copies, comma-separated ascending (empty: none).
    variants       TEXT    NOT NULL DEFAULT '',
    alt            TEXT    NOT NULL DEFAULT '',
    uploaded_by    BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX media_by_date ON media (created_at DESC, id DESC);

-- File contents when media are kept in the database (the default): variant 0 is the original,
-- any other number the width of a resized copy.
CREATE TABLE media_blobs (
    media_id      BIGINT  NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    variant       BIGINT  NOT NULL,
    content_type  TEXT    NOT NULL,
    bytes         BLOB    NOT NULL,
    PRIMARY KEY (media_id, variant)
);

-- Who did what, when. actor_name survives the actor's deletion.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          BIGINT  NOT NULL,
    actor_id    BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    actor_name  TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_date ON audit_log (at DESC, id DESC);
