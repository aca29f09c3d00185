-- Moving images stored with still copies (PostgreSQL dialect of migrations/sqlite/0005): PNG and
-- WebP files uploaded before Folio read animation from an image's content, with resized copies.
-- A moving image (APNG, animated WebP) must have none, since a copy is a still;
-- src/media/repair.rs checks each listed file once, after start-up, and removes the copies of
-- those that move. Checked rows leave the list.
CREATE TABLE media_unchecked (
    media_id  BIGINT  PRIMARY KEY REFERENCES media (id) ON DELETE CASCADE
);
INSERT INTO media_unchecked (media_id)
SELECT id FROM media WHERE content_type IN ('image/png', 'image/webp') AND variants <> '';
