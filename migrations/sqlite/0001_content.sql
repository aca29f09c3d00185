-- Folio's content model. Timestamps are Unix seconds (BIGINT) in both dialects.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    slug          TEXT    NOT NULL UNIQUE,
    bio           TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL DEFAULT 'author',
    created_at    BIGINT  NOT NULL
);

CREATE TABLE tags (
    id           INTEGER PRIMARY KEY,
    slug         TEXT   NOT NULL UNIQUE,
    name         TEXT   NOT NULL,
    description  TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);

CREATE TABLE series (
    id           INTEGER PRIMARY KEY,
    slug         TEXT   NOT NULL UNIQUE,
    title        TEXT   NOT NULL,
    description  TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);

CREATE TABLE posts (
    id               INTEGER PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    title            TEXT    NOT NULL,
    body_md          TEXT    NOT NULL,
    body_html        TEXT    NOT NULL,
    excerpt          TEXT    NOT NULL DEFAULT '',
    cover_image      TEXT,
    cover_alt        TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'published')),
    published_at     BIGINT,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    author_id        BIGINT  NOT NULL REFERENCES users (id),
    series_id        BIGINT  REFERENCES series (id) ON DELETE SET NULL,
    series_position  BIGINT,
    seo_title        TEXT,
    seo_description  TEXT,
    reading_minutes  BIGINT  NOT NULL DEFAULT 1,
    version          BIGINT  NOT NULL DEFAULT 1,
    CHECK (status = 'draft' OR published_at IS NOT NULL)
);
CREATE INDEX posts_by_date   ON posts (status, published_at DESC, id DESC);
CREATE INDEX posts_by_author ON posts (author_id, status, published_at DESC, id DESC);
CREATE INDEX posts_by_series ON posts (series_id, status, series_position);

-- visible_at mirrors posts.published_at while the post is published (NULL otherwise), so a tag
-- page walks one index in date order instead of sorting every post carrying the tag.
CREATE TABLE post_tags (
    post_id     BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id      BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL DEFAULT 0,
    visible_at  BIGINT,
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX post_tags_by_tag ON post_tags (tag_id, visible_at DESC, post_id DESC);

CREATE TABLE pages (
    id               INTEGER PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    title            TEXT    NOT NULL,
    body_md          TEXT    NOT NULL,
    body_html        TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'published')),
    seo_title        TEXT,
    seo_description  TEXT,
    author_id        BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    version          BIGINT  NOT NULL DEFAULT 1
);
