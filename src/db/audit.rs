//! The audit log: who did what, when. Written after each change made in the admin.

use sqlx::FromRow;

use super::{Db, on_pool};
use crate::domain::Timestamp;

#[derive(Debug, Clone, FromRow)]
pub struct Entry {
    pub id: i64,
    pub at: Timestamp,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Something done by `actor` (id, name).
pub struct Event<'a> {
    pub actor: (i64, &'a str),
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
}

pub async fn record(db: &Db, e: &Event<'_>, now: Timestamp) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO audit_log (at, actor_id, actor_name, action, subject, detail)
                       VALUES ($1, $2, $3, $4, $5, $6)";
    on_pool!(db, |pool| sqlx::query(SQL)
        .bind(now)
        .bind(e.actor.0)
        .bind(e.actor.1)
        .bind(e.action)
        .bind(e.subject)
        .bind(e.detail)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Entries older than `before_id` (all when None), newest first.
pub async fn list(db: &Db, before_id: Option<i64>, limit: i64) -> sqlx::Result<Vec<Entry>> {
    const SQL: &str = "SELECT id, at, actor_id, actor_name, action, subject, detail FROM audit_log
                       WHERE id < $1 ORDER BY id DESC LIMIT $2";
    let before = before_id.unwrap_or(i64::MAX);
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(before).bind(limit).fetch_all(pool).await)
}
