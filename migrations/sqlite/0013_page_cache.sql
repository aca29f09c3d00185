-- Issue 15's page cache: every table whose writes change what signed-out readers see bumps the
-- content generation in the writing transaction (0010 did posts and pages), so a cached page
-- computed at an older generation is never served again. Authors count only through what their
-- pages show (name, slug, bio, avatar, whether they are staff and active): a sign-in or a
-- password change leaves the cache alone.

CREATE TRIGGER tags_generation_insert AFTER INSERT ON tags
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER tags_generation_update AFTER UPDATE ON tags
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER tags_generation_delete AFTER DELETE ON tags
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER series_generation_insert AFTER INSERT ON series
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER series_generation_update AFTER UPDATE ON series
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER series_generation_delete AFTER DELETE ON series
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER post_tags_generation_insert AFTER INSERT ON post_tags
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER post_tags_generation_update AFTER UPDATE ON post_tags
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER post_tags_generation_delete AFTER DELETE ON post_tags
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER media_generation_insert AFTER INSERT ON media
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER media_generation_update AFTER UPDATE ON media
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER media_generation_delete AFTER DELETE ON media
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER site_settings_generation_insert AFTER INSERT ON site_settings
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER site_settings_generation_update AFTER UPDATE ON site_settings
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER site_settings_generation_delete AFTER DELETE ON site_settings
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER users_generation_update
AFTER UPDATE OF display_name, slug, bio, avatar_url, role, disabled_at ON users
BEGIN UPDATE content_generation SET value = value + 1; END;

CREATE TRIGGER users_generation_delete AFTER DELETE ON users
BEGIN UPDATE content_generation SET value = value + 1; END;
