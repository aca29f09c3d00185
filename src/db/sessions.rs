//! Server-side sessions. The cookie holds a random token; rows are keyed by its SHA-256.

use sqlx::FromRow;

use super::users::{USER_COLUMNS, User};
use super::{Db, on_pool};
use crate::domain::Timestamp;

/// A session row, as the "your sessions" page lists it.
#[derive(Debug, Clone, FromRow)]
pub struct Session {
    pub token_hash: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user_agent: String,
    pub client_addr: String,
}

/// How long sessions live, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Ends a session nobody used for this long.
    pub idle: i64,
    /// Ends a session this long after sign-in, however busy.
    pub absolute: i64,
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub csrf_token: &'a str,
    pub user_agent: &'a str,
    pub client_addr: &'a str,
}

pub async fn create(db: &Db, s: &NewSession<'_>, now: Timestamp) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at,
                       user_agent, client_addr) VALUES ($1, $2, $3, $4, $4, $5, $6)";
    on_pool!(db, |pool| sqlx::query(SQL)
        .bind(s.token_hash)
        .bind(s.user_id)
        .bind(s.csrf_token)
        .bind(now)
        .bind(s.user_agent)
        .bind(s.client_addr)
        .execute(pool)
        .await
        .map(|_| ()))
}

#[derive(FromRow)]
struct LiveRow {
    #[sqlx(flatten)]
    session: Session,
    #[sqlx(flatten)]
    user: super::users::UserRow,
}

/// The live session for `token_hash` and its (enabled) user: neither idle nor too old.
pub async fn find_live(
    db: &Db,
    token_hash: &str,
    now: Timestamp,
    lifetimes: Lifetimes,
) -> sqlx::Result<Option<(Session, User)>> {
    let sql = format!(
        "SELECT s.token_hash, s.csrf_token, s.created_at, s.last_seen_at, s.user_agent, s.client_addr,
         {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.last_seen_at > $2 AND s.created_at > $3 AND u.disabled_at IS NULL"
    );
    let row: Option<LiveRow> = on_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(token_hash)
        .bind(now - lifetimes.idle)
        .bind(now - lifetimes.absolute)
        .fetch_optional(pool)
        .await?);
    Ok(row.map(|r| (r.session, User::from(r.user))))
}

/// Records activity; callers skip it when the session was seen moments ago, to spare writes.
pub async fn touch(db: &Db, token_hash: &str, now: Timestamp) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1";
    on_pool!(db, |pool| sqlx::query(SQL).bind(token_hash).bind(now).execute(pool).await.map(|_| ()))
}

pub async fn delete(db: &Db, token_hash: &str) -> sqlx::Result<()> {
    const SQL: &str = "DELETE FROM sessions WHERE token_hash = $1";
    on_pool!(db, |pool| sqlx::query(SQL).bind(token_hash).execute(pool).await.map(|_| ()))
}

/// Ends one of a user's sessions; false if it is not theirs or already over.
pub async fn delete_for_user(db: &Db, user_id: i64, token_hash: &str) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM sessions WHERE user_id = $1 AND token_hash = $2";
    let done = on_pool!(db, |pool| sqlx::query(SQL)
        .bind(user_id)
        .bind(token_hash)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(done == 1)
}

/// Ends all of a user's sessions but `keep`.
pub async fn delete_others(db: &Db, user_id: i64, keep: &str) -> sqlx::Result<u64> {
    const SQL: &str = "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2";
    let done =
        on_pool!(db, |pool| sqlx::query(SQL).bind(user_id).bind(keep).execute(pool).await?.rows_affected());
    Ok(done)
}

/// A user's live sessions, most recently used first.
pub async fn list_for_user(
    db: &Db,
    user_id: i64,
    now: Timestamp,
    lifetimes: Lifetimes,
) -> sqlx::Result<Vec<Session>> {
    const SQL: &str = "SELECT token_hash, csrf_token, created_at, last_seen_at, user_agent, client_addr
                       FROM sessions WHERE user_id = $1 AND last_seen_at > $2 AND created_at > $3
                       ORDER BY last_seen_at DESC";
    on_pool!(db, |pool| sqlx::query_as(SQL)
        .bind(user_id)
        .bind(now - lifetimes.idle)
        .bind(now - lifetimes.absolute)
        .fetch_all(pool)
        .await)
}

/// Deletes expired sessions (housekeeping; expired ones are already ignored).
pub async fn prune(db: &Db, now: Timestamp, lifetimes: Lifetimes) -> sqlx::Result<u64> {
    const SQL: &str = "DELETE FROM sessions WHERE last_seen_at <= $1 OR created_at <= $2";
    let done = on_pool!(db, |pool| sqlx::query(SQL)
        .bind(now - lifetimes.idle)
        .bind(now - lifetimes.absolute)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(done)
}
