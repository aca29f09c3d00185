-- Issue 15's page cache: every table whose writes change what signed-out readers see bumps the
-- content generation in the writing transaction (0010 did posts and pages), so a cached page
-- computed at an older generation is never served again. Authors count only through what their
-- pages show (name, slug, bio, avatar, whether they are staff and active): a sign-in or a
-- password change leaves the cache alone. The generation is also announced on the channel
-- `folio_generation` when the transaction commits, for the other processes' caches.

CREATE OR REPLACE FUNCTION folio_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE content_generation SET value = value + 1;
    PERFORM pg_notify('folio_generation', '');
    RETURN NULL;
END $$;

CREATE TRIGGER tags_generation AFTER INSERT OR UPDATE OR DELETE ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_generation();
CREATE TRIGGER series_generation AFTER INSERT OR UPDATE OR DELETE ON series
    FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_generation();
CREATE TRIGGER post_tags_generation AFTER INSERT OR UPDATE OR DELETE ON post_tags
    FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_generation();
CREATE TRIGGER media_generation AFTER INSERT OR UPDATE OR DELETE ON media
    FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_generation();
CREATE TRIGGER site_settings_generation AFTER INSERT OR UPDATE OR DELETE ON site_settings
    FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_generation();
CREATE TRIGGER users_generation_update
    AFTER UPDATE OF display_name, slug, bio, avatar_url, role, disabled_at ON users
    FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_generation();
CREATE TRIGGER users_generation_delete AFTER DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_generation();
