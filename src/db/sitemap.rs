//! What the sitemap lists: every URL a reader can open, with its true last change. Visible means
//! what the public site shows at `now` (published, and its moment has come); a tag, author or
//! series is listed only while it has a visible post, and dated by its newest-changed one.

use sqlx::FromRow;

use super::{Db, on_pool};
use crate::domain::Timestamp;
use crate::domain::addresses::Kind;

/// One `<url>` of a child sitemap.
#[derive(Debug, Clone, FromRow)]
pub struct Entry {
    /// The slug, for [`Kind::path`]; empty for the home page (listed first among the pages).
    pub slug: String,
    /// Unix seconds; `None` only for the home page of a site with no visible post.
    pub lastmod: Option<Timestamp>,
    /// A post's cover image as stored (site-relative or absolute).
    pub image: Option<String>,
}

/// A post visible at `$1`.
const VISIBLE: &str = "p.status = 'published' AND p.published_at <= $1";

/// When a visible post last changed as readers see it: its last save, or the moment it went
/// live if that came later (a post scheduled after its last edit appeared only then).
const CHANGED: &str = "CASE WHEN p.updated_at > p.published_at THEN p.updated_at ELSE p.published_at END";

/// The rows `(id, slug, lastmod, image)` of `kind`'s sitemap, unordered; `$1` is now. Every
/// statement binds `$1`, which PostgreSQL requires of a bound parameter.
fn rows(kind: Kind) -> String {
    match kind {
        Kind::Post => format!("SELECT p.id, p.slug, {CHANGED} AS lastmod, p.cover_image AS image FROM posts p WHERE {VISIBLE}"),
        // The home page (id 0, empty slug) changes when any visible post does.
        Kind::Page => format!(
            "SELECT 0 AS id, '' AS slug, (SELECT MAX({CHANGED}) FROM posts p WHERE {VISIBLE}) AS lastmod, NULL AS image
             UNION ALL
             SELECT p.id, p.slug, p.updated_at AS lastmod, NULL AS image FROM pages p
             WHERE p.status = 'published' AND NOT p.noindex"
        ),
        Kind::Tag => format!(
            "SELECT t.id, t.slug, MAX({CHANGED}) AS lastmod, NULL AS image
             FROM tags t JOIN post_tags pt ON pt.tag_id = t.id JOIN posts p ON p.id = pt.post_id
             WHERE {VISIBLE} GROUP BY t.id, t.slug"
        ),
        Kind::Series => format!(
            "SELECT t.id, t.slug, MAX({CHANGED}) AS lastmod, NULL AS image
             FROM series t JOIN posts p ON p.series_id = t.id WHERE {VISIBLE} GROUP BY t.id, t.slug"
        ),
        // Whom the public author page serves: staff, not disabled (see db::taxonomy).
        Kind::Author => format!(
            "SELECT u.id, u.slug, MAX({CHANGED}) AS lastmod, NULL AS image
             FROM users u JOIN posts p ON p.author_id = u.id
             WHERE u.role <> 'member' AND u.disabled_at IS NULL AND {VISIBLE} GROUP BY u.id, u.slug"
        ),
    }
}

/// `kind`'s parts of `per_part` URLs each (in id order): one element per part, the newest
/// `lastmod` in it. Empty when `kind` has nothing to list.
pub async fn parts(
    db: &Db,
    kind: Kind,
    now: Timestamp,
    per_part: u32,
) -> sqlx::Result<Vec<Option<Timestamp>>> {
    let sql = format!(
        "SELECT MAX(lastmod) FROM
           (SELECT (ROW_NUMBER() OVER (ORDER BY id) - 1) / $2 AS part, lastmod FROM ({}) r) n
         GROUP BY part ORDER BY part",
        rows(kind)
    );
    let per_part = i64::from(per_part);
    on_pool!(db, |pool| sqlx::query_scalar(&sql).bind(now).bind(per_part).fetch_all(pool).await)
}

/// At most `limit` of `kind`'s entries after the first `offset`, in id order (the order
/// [`parts`] counts in).
pub async fn entries(
    db: &Db,
    kind: Kind,
    now: Timestamp,
    limit: u32,
    offset: i64,
) -> sqlx::Result<Vec<Entry>> {
    let sql = format!("SELECT slug, lastmod, image FROM ({}) r ORDER BY id LIMIT $2 OFFSET $3", rows(kind));
    let limit = i64::from(limit);
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(now).bind(limit).bind(offset).fetch_all(pool).await)
}
