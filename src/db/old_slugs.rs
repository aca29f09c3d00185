//! Old slugs (table `slug_history`, written by the triggers of migration 0007 whenever a slug
//! changes): where an item that gave up a slug is now, for the public site's 301s.

use super::{Db, on_pool};
use crate::domain::Timestamp;
use crate::domain::addresses::Kind;

/// The current slug of the `kind` item that once had slug `old`, if readers may see it at
/// `now` (a post must be published and due, a page published, an author staff and enabled);
/// `None` otherwise, so a redirect never reveals a draft. Callers ask only after the usual
/// lookup of `old` found nothing: a slug taken by another item serves that item.
pub async fn current_slug(db: &Db, kind: Kind, old: &str, now: Timestamp) -> sqlx::Result<Option<String>> {
    let (table, visible) = match kind {
        Kind::Post => ("posts", "AND t.status = 'published' AND t.published_at <= $3"),
        Kind::Page => ("pages", "AND t.status = 'published'"),
        Kind::Tag => ("tags", ""),
        Kind::Series => ("series", ""),
        Kind::Author => ("users", "AND t.role <> 'member' AND t.disabled_at IS NULL"),
    };
    let sql = format!(
        "SELECT t.slug FROM slug_history h JOIN {table} t ON t.id = h.target_id
         WHERE h.kind = $1 AND h.old_slug = $2 {visible}"
    );
    on_pool!(db, |pool| {
        let query = sqlx::query_scalar(&sql).bind(kind.as_str()).bind(old);
        // Only a post's visibility depends on the time (PostgreSQL refuses an unused parameter).
        let query = if kind == Kind::Post { query.bind(now) } else { query };
        query.fetch_optional(pool).await
    })
}
