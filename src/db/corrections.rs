//! Readers' suggested corrections (a private queue) and the dated correction notices shown
//! above an article. Adding or removing a notice also records a revision of the post, so the
//! post's history says when its notices changed.

use sqlx::FromRow;

use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;
use crate::domain::corrections::Decision;

/// A suggestion to store.
#[derive(Debug, Clone)]
pub struct NewSuggestion<'a> {
    pub post_id: i64,
    pub passage: &'a str,
    pub problem: &'a str,
    /// Empty when the reader gave none.
    pub email: &'a str,
    pub client_addr: &'a str,
}

pub async fn suggest(db: &Db, s: &NewSuggestion<'_>, now: Timestamp) -> sqlx::Result<i64> {
    const SQL: &str =
        "INSERT INTO corrections (post_id, passage, problem, email, status, client_addr, created_at)
        VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id";
    on_pool!(db, |pool| sqlx::query_scalar(SQL)
        .bind(s.post_id)
        .bind(s.passage)
        .bind(s.problem)
        .bind(s.email)
        .bind(s.client_addr)
        .bind(now)
        .fetch_one(pool)
        .await)
}

/// A suggestion as the editors see it.
#[derive(Debug, Clone, FromRow)]
pub struct Suggestion {
    pub id: i64,
    pub post_id: i64,
    pub passage: String,
    pub problem: String,
    pub email: String,
    pub status: String,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub post_title: String,
    pub post_slug: String,
}

/// One page of the suggestions in `status`, newest first, and how many there are.
pub async fn list(
    db: &Db,
    status: Decision,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Suggestion>, i64)> {
    const COUNT: &str = "SELECT COUNT(*) FROM corrections WHERE status = $1";
    const SQL: &str = "SELECT c.id, c.post_id, c.passage, c.problem, c.email, c.status, c.created_at,
        c.decided_at, p.title AS post_title, p.slug AS post_slug
        FROM corrections c JOIN posts p ON p.id = c.post_id WHERE c.status = $1
        ORDER BY c.created_at DESC, c.id DESC LIMIT $2 OFFSET $3";
    on_pool!(db, |pool| {
        let total: i64 = sqlx::query_scalar(COUNT).bind(status.as_str()).fetch_one(pool).await?;
        let rows = sqlx::query_as(SQL).bind(status.as_str()).bind(limit).bind(offset).fetch_all(pool).await?;
        Ok((rows, total))
    })
}

/// Suggestions still open: the number beside "Corrections" in the admin.
pub async fn open_count(db: &Db) -> sqlx::Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM corrections WHERE status = 'open'";
    on_pool!(db, |pool| sqlx::query_scalar(SQL).fetch_one(pool).await)
}

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Suggestion>> {
    const SQL: &str = "SELECT c.id, c.post_id, c.passage, c.problem, c.email, c.status, c.created_at,
        c.decided_at, p.title AS post_title, p.slug AS post_slug
        FROM corrections c JOIN posts p ON p.id = c.post_id WHERE c.id = $1";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
}

/// Marks suggestion `id` resolved, dismissed or open again, by `by`. Whether it changed.
pub async fn decide(db: &Db, id: i64, decision: Decision, by: i64, now: Timestamp) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE corrections SET status = $2, decided_at = $3, decided_by = $4
        WHERE id = $1 AND status <> $2";
    let decided_at = (decision != Decision::Open).then_some(now);
    let by = (decision != Decision::Open).then_some(by);
    let done = on_pool!(db, |pool| sqlx::query(SQL)
        .bind(id)
        .bind(decision.as_str())
        .bind(decided_at)
        .bind(by)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(done > 0)
}

/// A correction notice on an article.
#[derive(Debug, Clone, FromRow)]
pub struct Notice {
    pub id: i64,
    pub body: String,
    pub created_at: Timestamp,
}

/// The notices of post `post_id`, oldest first.
pub async fn notices(db: &Db, post_id: i64) -> sqlx::Result<Vec<Notice>> {
    const SQL: &str = "SELECT id, body, created_at FROM correction_notices WHERE post_id = $1
        ORDER BY created_at, id";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(post_id).fetch_all(pool).await)
}

/// Keeps the post's text as a revision with `note`, by `by`.
const REVISION: &str =
    "INSERT INTO post_revisions (post_id, version, title, body_md, excerpt, saved_by, saved_at, note)
    SELECT id, version, title, body_md, excerpt_typed, $2, $3, $4 FROM posts WHERE id = $1";
/// A notice changes the article: its `dateModified` and `Last-Modified` move.
const TOUCH: &str = "UPDATE posts SET updated_at = $2 WHERE id = $1";

/// Appends a notice to post `post_id` and records it in the post's revisions, in one
/// transaction. Returns the notice's id.
pub async fn add_notice(db: &Db, post_id: i64, body: &str, by: i64, now: Timestamp) -> sqlx::Result<i64> {
    const SQL: &str = "INSERT INTO correction_notices (post_id, body, created_at, created_by)
        VALUES ($1, $2, $3, $4) RETURNING id";
    let note = format!("Correction notice added: {body}");
    Ok(in_tx!(db, |tx| {
        let id: i64 =
            sqlx::query_scalar(SQL).bind(post_id).bind(body).bind(now).bind(by).fetch_one(&mut *tx).await?;
        sqlx::query(REVISION).bind(post_id).bind(by).bind(now).bind(&note).execute(&mut *tx).await?;
        sqlx::query(TOUCH).bind(post_id).bind(now).execute(&mut *tx).await?;
        id
    }))
}

/// Removes notice `id` of post `post_id`, recording that in the post's revisions. Whether it
/// was there.
pub async fn remove_notice(db: &Db, post_id: i64, id: i64, by: i64, now: Timestamp) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM correction_notices WHERE id = $1 AND post_id = $2 RETURNING body";
    Ok(in_tx!(db, |tx| {
        let body: Option<String> =
            sqlx::query_scalar(SQL).bind(id).bind(post_id).fetch_optional(&mut *tx).await?;
        if let Some(body) = &body {
            let note = format!("Correction notice removed: {body}");
            sqlx::query(REVISION).bind(post_id).bind(by).bind(now).bind(&note).execute(&mut *tx).await?;
            sqlx::query(TOUCH).bind(post_id).bind(now).execute(&mut *tx).await?;
        }
        body.is_some()
    }))
}
