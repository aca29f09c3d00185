//! A post's revisions: the versions kept by each deliberate save, newest first, for the history
//! and for restoring. They are written by [`super::editing`] in the save's transaction.

use sqlx::FromRow;

use super::{Db, on_pool};
use crate::domain::Timestamp;

/// A saved revision, listed.
#[derive(Debug, Clone, FromRow)]
pub struct Revision {
    pub id: i64,
    pub version: i64,
    pub title: String,
    pub body_md: String,
    pub excerpt: String,
    pub saved_at: Timestamp,
    pub saved_by_name: Option<String>,
    pub note: String,
}

const REVISION_COLUMNS: &str = "r.id, r.version, r.title, r.body_md, r.excerpt, r.saved_at,
    u.display_name AS saved_by_name, r.note";

/// The post's revisions, newest first (at most `limit`).
pub async fn revisions(db: &Db, post_id: i64, limit: i64) -> sqlx::Result<Vec<Revision>> {
    let sql = format!(
        "SELECT {REVISION_COLUMNS} FROM post_revisions r LEFT JOIN users u ON u.id = r.saved_by
         WHERE r.post_id = $1 ORDER BY r.id DESC LIMIT $2"
    );
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(post_id).bind(limit).fetch_all(pool).await)
}

pub async fn revision(db: &Db, post_id: i64, id: i64) -> sqlx::Result<Option<Revision>> {
    let sql = format!(
        "SELECT {REVISION_COLUMNS} FROM post_revisions r LEFT JOIN users u ON u.id = r.saved_by
         WHERE r.post_id = $1 AND r.id = $2"
    );
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(post_id).bind(id).fetch_optional(pool).await)
}
