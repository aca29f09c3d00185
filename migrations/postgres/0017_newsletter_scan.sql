-- Every process looks for posts to mail every second (db::mailings::due_posts). Without an index
-- on the newsletter choice that read every post of the archive: 14 ms a second at 10,000 posts
-- (sqlx's statement log), a tenth of a core at 100,000. This partial index holds only the posts
-- marked "publish and send" or "send only", so the scan reads those and no others.
CREATE INDEX posts_newsletter ON posts (newsletter, id) WHERE newsletter <> '';
