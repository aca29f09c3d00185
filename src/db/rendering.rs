//! Stored HTML of post and page bodies, read and rewritten when the Markdown renderer changes
//! (see [`crate::domain::markdown::VERSION`]): bodies are rendered once, at write time.

use super::{Db, on_pool, settings};

/// The `site_settings` key holding the renderer version the stored bodies were made with.
const VERSION_KEY: &str = "markdown_version";

/// The renderer version of the stored bodies; 1 when none was recorded (before versions).
pub async fn stored_version(db: &Db) -> sqlx::Result<u32> {
    const SQL: &str = "SELECT value FROM site_settings WHERE key = $1";
    let value: Option<String> =
        on_pool!(db, |pool| sqlx::query_scalar(SQL).bind(VERSION_KEY).fetch_optional(pool).await?);
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(1))
}

/// Records that every stored body is now rendered by renderer `version`.
pub async fn set_stored_version(db: &Db, version: u32) -> sqlx::Result<()> {
    settings::set(db, VERSION_KEY, &version.to_string()).await
}

/// Records `version` as the stored bodies' renderer when there are no bodies and nothing is
/// recorded: whatever is written from then on (the demo, an import, the editor) is rendered by
/// it, so the start-up re-render has nothing to do. Without this, bodies written before the
/// first `serve` were all rendered again in the background.
pub async fn claim_if_empty(db: &Db, version: u32) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO site_settings (key, value) SELECT $1, $2
        WHERE NOT EXISTS (SELECT 1 FROM posts) AND NOT EXISTS (SELECT 1 FROM pages)
        ON CONFLICT (key) DO NOTHING";
    let value = version.to_string();
    on_pool!(db, |pool| sqlx::query(SQL).bind(VERSION_KEY).bind(&value).execute(pool).await.map(|_| ()))
}

/// Which table a body belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Post,
    Page,
}

/// Up to `limit` bodies of `kind` with ids above `after`, in id order: (id, Markdown).
pub async fn bodies(db: &Db, kind: Kind, after: i64, limit: i64) -> sqlx::Result<Vec<(i64, String)>> {
    let sql = match kind {
        Kind::Post => "SELECT id, body_md FROM posts WHERE id > $1 ORDER BY id LIMIT $2",
        Kind::Page => "SELECT id, body_md FROM pages WHERE id > $1 ORDER BY id LIMIT $2",
    };
    on_pool!(db, |pool| sqlx::query_as(sql).bind(after).bind(limit).fetch_all(pool).await)
}

/// Stores a new rendering of body `id`, if its Markdown is still `body_md` (a save in between
/// rendered it already). A post's derived excerpt and reading time go with it; a typed excerpt
/// stays. The post's `updated_at` stays too: what the writer wrote did not change.
pub async fn store(
    db: &Db,
    kind: Kind,
    id: i64,
    body_md: &str,
    rendered: &crate::domain::markdown::Rendered,
) -> sqlx::Result<()> {
    const POST: &str = "UPDATE posts SET body_html = $3, body_text = $6, reading_minutes = $4,
                        excerpt = CASE WHEN excerpt_typed = '' THEN $5 ELSE excerpt END
                        WHERE id = $1 AND body_md = $2";
    const PAGE: &str = "UPDATE pages SET body_html = $3, body_text = $4 WHERE id = $1 AND body_md = $2";
    match kind {
        Kind::Post => on_pool!(db, |pool| sqlx::query(POST)
            .bind(id)
            .bind(body_md)
            .bind(&rendered.html)
            .bind(rendered.reading_minutes)
            .bind(&rendered.excerpt)
            .bind(&rendered.text)
            .execute(pool)
            .await
            .map(|_| ())),
        Kind::Page => on_pool!(db, |pool| sqlx::query(PAGE)
            .bind(id)
            .bind(body_md)
            .bind(&rendered.html)
            .bind(&rendered.text)
            .execute(pool)
            .await
            .map(|_| ())),
    }
}
