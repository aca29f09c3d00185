//! Throttled attempts (sign-ins, codes, reset requests, sign-ups, address changes), counted per
//! scope in a sliding window. Kept in the database so that several Folio processes share one
//! count; the table keeps its first name, `sign_in_failures`.
//!
//! An attempt is counted and checked in one write transaction, before the work it asks for: a
//! burst of parallel requests cannot all pass the check before any is counted (40 parallel wrong
//! passwords on one account all reached the password check when checking and counting were two
//! statements with the password hash between them).

use super::{Db, on_pool};
use crate::domain::Timestamp;
use crate::domain::throttle::Limit;

/// The rows one attempt added, so that an attempt that turns out not to count (a right
/// password) can be taken back exactly.
#[derive(Debug)]
pub struct Attempt {
    ids: Vec<i64>,
}

/// What [`attempt`] decided.
#[derive(Debug)]
pub enum Verdict {
    /// Counted on every scope.
    Counted(Attempt),
    /// Counted on none: a scope is at its limit, for this many more seconds.
    Refused(u64),
}

/// The body of [`attempt`] once the scopes are locked, compiled for each backend's transaction.
macro_rules! count_then_add {
    ($tx:ident, $limits:expr, $now:expr) => {{
        const COUNT: &str = "SELECT COUNT(*), MIN(at) FROM sign_in_failures WHERE scope = $1 AND at > $2";
        const ADD: &str = "INSERT INTO sign_in_failures (scope, at) VALUES ($1, $2) RETURNING id";
        let mut wait: Option<u64> = None;
        for (scope, policy) in $limits {
            let (count, oldest): (i64, Option<i64>) =
                sqlx::query_as(COUNT).bind(scope).bind($now - policy.window).fetch_one(&mut *$tx).await?;
            if let Some(more) = policy.retry_after(count, oldest, $now) {
                wait = Some(wait.map_or(more, |w| w.max(more)));
            }
        }
        match wait {
            Some(wait) => Verdict::Refused(wait),
            None => {
                let mut ids = Vec::with_capacity($limits.len());
                for (scope, _) in $limits {
                    ids.push(sqlx::query_scalar(ADD).bind(scope).bind($now).fetch_one(&mut *$tx).await?);
                }
                Verdict::Counted(Attempt { ids })
            }
        }
    }};
}

/// Counts an attempt on every scope of `limits` at `now`, or on none when any scope already has
/// its policy's limit of attempts in its window.
///
/// Atomic across processes: on SQLite the transaction starts with `BEGIN IMMEDIATE`, which takes
/// the database's one write lock before the first count; on PostgreSQL it takes a transaction
/// advisory lock per scope, in sorted order so that two attempts cannot deadlock.
pub async fn attempt(db: &Db, limits: &[Limit], now: Timestamp) -> sqlx::Result<Verdict> {
    let mut scopes: Vec<&str> = limits.iter().map(|(scope, _)| scope.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            let verdict = count_then_add!(tx, limits, now);
            tx.commit().await?;
            Ok(verdict)
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            for scope in scopes {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(scope)
                    .execute(&mut *tx)
                    .await?;
            }
            let verdict = count_then_add!(tx, limits, now);
            tx.commit().await?;
            Ok(verdict)
        }
    }
}

/// Takes back an attempt that turned out not to count (a right password, a right code).
pub async fn forgive(db: &Db, attempt: Attempt) -> sqlx::Result<()> {
    const SQL: &str = "DELETE FROM sign_in_failures WHERE id = $1";
    for id in attempt.ids {
        on_pool!(db, |pool| sqlx::query(SQL).bind(id).execute(pool).await?.rows_affected());
    }
    Ok(())
}

/// Forgets every attempt on `scope` (after a successful sign-in to that account).
pub async fn clear(db: &Db, scope: &str) -> sqlx::Result<()> {
    const SQL: &str = "DELETE FROM sign_in_failures WHERE scope = $1";
    on_pool!(db, |pool| sqlx::query(SQL).bind(scope).execute(pool).await.map(|_| ()))
}

/// Deletes attempts older than any window looks back (housekeeping).
pub async fn prune(db: &Db, before: Timestamp) -> sqlx::Result<u64> {
    const SQL: &str = "DELETE FROM sign_in_failures WHERE at <= $1";
    let done = on_pool!(db, |pool| sqlx::query(SQL).bind(before).execute(pool).await?.rows_affected());
    Ok(done)
}
