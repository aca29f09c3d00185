-- Full-text search over posts and pages (issue 13; PostgreSQL dialect in migrations/postgres/0009).

-- Each body's plain text beside its HTML (domain::markdown::Rendered::text), written with it.
-- Stored bodies get theirs when the renderer version goes to 3 (crate::rerender).
ALTER TABLE posts ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN body_text TEXT NOT NULL DEFAULT '';

-- FTS5 indexes over the rows themselves (external content), kept in step by triggers in the
-- writing transaction. unicode61 with remove_diacritics 2 folds case and accents, so `cafe`
-- finds `café`; queries are tokenized the same way.
CREATE VIRTUAL TABLE post_search USING fts5 (title, body_text, content = 'posts', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO post_search (post_search) VALUES ('rebuild');

CREATE TRIGGER post_search_insert AFTER INSERT ON posts
BEGIN
    INSERT INTO post_search (rowid, title, body_text) VALUES (NEW.id, NEW.title, NEW.body_text);
END;

CREATE TRIGGER post_search_delete AFTER DELETE ON posts
BEGIN
    INSERT INTO post_search (post_search, rowid, title, body_text) VALUES ('delete', OLD.id, OLD.title, OLD.body_text);
END;

CREATE TRIGGER post_search_update AFTER UPDATE OF title, body_text ON posts
BEGIN
    INSERT INTO post_search (post_search, rowid, title, body_text) VALUES ('delete', OLD.id, OLD.title, OLD.body_text);
    INSERT INTO post_search (rowid, title, body_text) VALUES (NEW.id, NEW.title, NEW.body_text);
END;

CREATE VIRTUAL TABLE page_search USING fts5 (title, body_text, content = 'pages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO page_search (page_search) VALUES ('rebuild');

CREATE TRIGGER page_search_insert AFTER INSERT ON pages
BEGIN
    INSERT INTO page_search (rowid, title, body_text) VALUES (NEW.id, NEW.title, NEW.body_text);
END;

CREATE TRIGGER page_search_delete AFTER DELETE ON pages
BEGIN
    INSERT INTO page_search (page_search, rowid, title, body_text) VALUES ('delete', OLD.id, OLD.title, OLD.body_text);
END;

CREATE TRIGGER page_search_update AFTER UPDATE OF title, body_text ON pages
BEGIN
    INSERT INTO page_search (page_search, rowid, title, body_text) VALUES ('delete', OLD.id, OLD.title, OLD.body_text);
    INSERT INTO page_search (rowid, title, body_text) VALUES (NEW.id, NEW.title, NEW.body_text);
END;
