//! The moderators' side of comments: the queue and the other lists, counts per status, and
//! the actions (approve, spam, trash, restore, delete for good), each limited to the posts of
//! one author when the moderator is an author.

use super::admin_posts::like_pattern;
use super::comments::Comment;
use super::outbox::NewMail;
use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;
use crate::domain::comments::Status;

/// Which comments a moderation list shows.
#[derive(Debug, Clone)]
pub struct ModQuery {
    pub status: Status,
    pub post_id: Option<i64>,
    /// Words found in the text, the name or the email address (empty: all).
    pub search: String,
    /// Only comments on this user's posts (an author moderating their own).
    pub post_author: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// The conditions every list and count shares: `$1` status, `$2` post (or NULL), `$3` pattern
/// (or NULL), `$4` post author (or NULL).
const FILTER: &str = "c.status = $1 AND c.deleted_at IS NULL AND ($2 IS NULL OR c.post_id = $2)
    AND ($3 IS NULL OR LOWER(c.body_md) LIKE $3 ESCAPE '\\' OR LOWER(c.author_name) LIKE $3 ESCAPE '\\'
         OR LOWER(c.author_email) LIKE $3 ESCAPE '\\')
    AND ($4 IS NULL OR p.author_id = $4)";

/// One page of the list `query` asks for, newest first, and how many there are in all.
pub async fn list(db: &Db, query: &ModQuery) -> sqlx::Result<(Vec<Comment>, i64)> {
    let count_sql =
        format!("SELECT COUNT(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE {FILTER}");
    let list_sql = format!(
        "{} WHERE {FILTER} ORDER BY c.created_at DESC, c.id DESC LIMIT $5 OFFSET $6",
        super::comments::FULL
    );
    let pattern = (!query.search.trim().is_empty()).then(|| like_pattern(&query.search));
    on_pool!(db, |pool| {
        let total: i64 = sqlx::query_scalar(&count_sql)
            .bind(query.status.as_str())
            .bind(query.post_id)
            .bind(pattern.as_deref())
            .bind(query.post_author)
            .fetch_one(pool)
            .await?;
        let rows = sqlx::query_as(&list_sql)
            .bind(query.status.as_str())
            .bind(query.post_id)
            .bind(pattern.as_deref())
            .bind(query.post_author)
            .bind(query.limit)
            .bind(query.offset)
            .fetch_all(pool)
            .await?;
        Ok((rows, total))
    })
}

/// How many comments each status holds ([`Status::ALL`] order), on `post_author`'s posts only
/// when given. Deleted comments count nowhere.
pub async fn counts(db: &Db, post_author: Option<i64>) -> sqlx::Result<[i64; 4]> {
    const SQL: &str = "SELECT c.status, COUNT(*) FROM comments c JOIN posts p ON p.id = c.post_id
        WHERE c.deleted_at IS NULL AND ($1 IS NULL OR p.author_id = $1) GROUP BY c.status";
    let rows: Vec<(String, i64)> =
        on_pool!(db, |pool| sqlx::query_as(SQL).bind(post_author).fetch_all(pool).await?);
    let mut out = [0; 4];
    for (status, n) in rows {
        if let Some(i) = Status::ALL.iter().position(|s| s.as_str() == status) {
            out[i] = n;
        }
    }
    Ok(out)
}

/// Moves the comments `ids` (on `post_author`'s posts only, when given) to `status`, and stores
/// `mails` (the reply notices approval causes) in the same transaction. Returns the ids moved
/// and the outbox ids of the mails.
pub async fn set_status(
    db: &Db,
    ids: &[i64],
    status: Status,
    post_author: Option<i64>,
    mails: &[NewMail],
    now: Timestamp,
) -> sqlx::Result<(Vec<i64>, Vec<i64>)> {
    const SQL: &str = "UPDATE comments SET status = $2, changed_at = $4 WHERE id = $1 AND status <> $2 AND deleted_at IS NULL
        AND ($3 IS NULL OR post_id IN (SELECT id FROM posts WHERE author_id = $3)) RETURNING id";
    Ok(in_tx!(db, |tx| {
        let mut moved = Vec::new();
        for id in ids {
            let done: Option<i64> = sqlx::query_scalar(SQL)
                .bind(id)
                .bind(status.as_str())
                .bind(post_author)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            moved.extend(done);
        }
        let queued = super::outbox::enqueue_in!(tx, mails, now);
        (moved, queued)
    }))
}

/// Deletes for good the comments `ids` that are spam or in the trash (on `post_author`'s posts
/// only, when given); their replies go with them. Returns the ids deleted.
pub async fn purge(db: &Db, ids: &[i64], post_author: Option<i64>) -> sqlx::Result<Vec<i64>> {
    const SQL: &str = "DELETE FROM comments WHERE id = $1 AND status IN ('spam', 'trash')
        AND ($2 IS NULL OR post_id IN (SELECT id FROM posts WHERE author_id = $2)) RETURNING id";
    Ok(in_tx!(db, |tx| {
        let mut done = Vec::new();
        for id in ids {
            let gone: Option<i64> =
                sqlx::query_scalar(SQL).bind(id).bind(post_author).fetch_optional(&mut *tx).await?;
            done.extend(gone);
        }
        done
    }))
}

/// Comments waiting for a moderator (on `post_author`'s posts only, when given): the number
/// beside "Comments" in the admin's navigation.
pub async fn pending_count(db: &Db, post_author: Option<i64>) -> sqlx::Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM comments c JOIN posts p ON p.id = c.post_id
        WHERE c.status = 'pending' AND c.deleted_at IS NULL AND ($1 IS NULL OR p.author_id = $1)";
    on_pool!(db, |pool| sqlx::query_scalar(SQL).bind(post_author).fetch_one(pool).await)
}

/// Posts that have comments, for the moderators' filter: (id, title), newest comment first.
pub async fn commented_posts(db: &Db, post_author: Option<i64>) -> sqlx::Result<Vec<(i64, String)>> {
    const SQL: &str = "SELECT p.id, p.title FROM posts p WHERE ($1 IS NULL OR p.author_id = $1)
        AND EXISTS (SELECT 1 FROM comments c WHERE c.post_id = p.id)
        ORDER BY (SELECT MAX(c.created_at) FROM comments c WHERE c.post_id = p.id) DESC LIMIT 200";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(post_author).fetch_all(pool).await)
}
