//! Failed sign-in attempts, counted per account and per client address in a sliding window.
//! Kept in the database so that several Folio processes share one count.

use super::{Db, on_pool};
use crate::domain::Timestamp;

pub async fn record_failure(db: &Db, scopes: &[&str], now: Timestamp) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO sign_in_failures (scope, at) VALUES ($1, $2)";
    for scope in scopes {
        on_pool!(db, |pool| sqlx::query(SQL).bind(scope).bind(now).execute(pool).await?.rows_affected());
    }
    Ok(())
}

/// Failures for `scope` since `since`: how many, and when the oldest of them happened.
pub async fn failures_since(db: &Db, scope: &str, since: Timestamp) -> sqlx::Result<(i64, Option<i64>)> {
    const SQL: &str = "SELECT COUNT(*), MIN(at) FROM sign_in_failures WHERE scope = $1 AND at > $2";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(scope).bind(since).fetch_one(pool).await)
}

/// Forgets the failures of `scope` (after a successful sign-in to that account).
pub async fn clear(db: &Db, scope: &str) -> sqlx::Result<()> {
    const SQL: &str = "DELETE FROM sign_in_failures WHERE scope = $1";
    on_pool!(db, |pool| sqlx::query(SQL).bind(scope).execute(pool).await.map(|_| ()))
}

/// Deletes failures older than any window looks back (housekeeping).
pub async fn prune(db: &Db, before: Timestamp) -> sqlx::Result<u64> {
    const SQL: &str = "DELETE FROM sign_in_failures WHERE at <= $1";
    let done = on_pool!(db, |pool| sqlx::query(SQL).bind(before).execute(pool).await?.rows_affected());
    Ok(done)
}
