//! Comments: writing them (with the mail they cause, in the same transaction), the thread an
//! article shows, a member's own comments, and the moderators' lists and actions.

use sqlx::FromRow;

use super::outbox::NewMail;
use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;
use crate::domain::comments::{PER_PAGE, Status};

/// A comment to store.
#[derive(Debug, Clone)]
pub struct NewComment<'a> {
    pub post_id: i64,
    /// A top-level comment's id: replies to a reply join its thread.
    pub parent_id: Option<i64>,
    pub user_id: Option<i64>,
    pub author_name: &'a str,
    pub author_email: &'a str,
    pub author_url: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub status: Status,
    /// Why the rules held it or marked it spam, for the moderators; empty otherwise.
    pub held_for: &'a str,
    pub staff_reply: bool,
    pub notify_replies: bool,
    pub client_addr: &'a str,
    pub user_agent: &'a str,
}

/// Stores `comment` at `now` and the `mails` it causes, in one transaction. Returns the
/// comment's id and the outbox ids of the mails, in order.
pub async fn create(
    db: &Db,
    comment: &NewComment<'_>,
    mails: &[NewMail],
    now: Timestamp,
) -> sqlx::Result<(i64, Vec<i64>)> {
    const SQL: &str = "INSERT INTO comments (post_id, parent_id, user_id, author_name, author_email,
        author_url, body_md, body_html, status, held_for, staff_reply, notify_replies, client_addr,
        user_agent, created_at, changed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id";
    let c = comment;
    Ok(in_tx!(db, |tx| {
        let id: i64 = sqlx::query_scalar(SQL)
            .bind(c.post_id)
            .bind(c.parent_id)
            .bind(c.user_id)
            .bind(c.author_name)
            .bind(c.author_email)
            .bind(c.author_url)
            .bind(c.body_md)
            .bind(c.body_html)
            .bind(c.status.as_str())
            .bind(c.held_for)
            .bind(c.staff_reply)
            .bind(c.notify_replies)
            .bind(c.client_addr)
            .bind(c.user_agent)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let queued = super::outbox::enqueue_in!(tx, mails, now);
        (id, queued)
    }))
}

/// Whether someone already has an approved comment: the "first comment" moderation rule holds
/// only their first. A member by their account; a guest by an approved *guest* comment with the
/// same name and address (as WordPress checks), so a member's or another guest's address alone
/// proves nothing.
pub async fn approved_before(db: &Db, user_id: Option<i64>, name: &str, email: &str) -> sqlx::Result<bool> {
    const BY_USER: &str = "SELECT EXISTS (SELECT 1 FROM comments WHERE user_id = $1 AND status = 'approved')";
    const BY_GUEST: &str =
        "SELECT EXISTS (SELECT 1 FROM comments WHERE user_id IS NULL AND staff_reply = FALSE
        AND author_email = $1 AND author_name = $2 AND status = 'approved')";
    on_pool!(db, |pool| match user_id {
        Some(id) => sqlx::query_scalar(BY_USER).bind(id).fetch_one(pool).await,
        None => sqlx::query_scalar(BY_GUEST).bind(email).bind(name).fetch_one(pool).await,
    })
}

/// Where approved comment `id` is shown: its post's slug and the page of comments holding its
/// thread (1 holds the newest [`PER_PAGE`] top-level comments), if readers may see it at `now`.
pub async fn locate(db: &Db, id: i64, now: Timestamp) -> sqlx::Result<Option<(String, i64)>> {
    const TOP: &str = "SELECT p.slug, t.post_id, t.created_at, t.id FROM comments c
        JOIN comments t ON t.id = COALESCE(c.parent_id, c.id) JOIN posts p ON p.id = c.post_id
        WHERE c.id = $1 AND c.status = 'approved' AND t.status = 'approved'
        AND p.status = 'published' AND p.published_at <= $2";
    const NEWER: &str = "SELECT COUNT(*) FROM comments WHERE post_id = $1 AND status = 'approved'
        AND parent_id IS NULL AND (created_at > $2 OR (created_at = $2 AND id > $3))";
    let found: Option<(String, i64, Timestamp, i64)> =
        on_pool!(db, |pool| sqlx::query_as(TOP).bind(id).bind(now).fetch_optional(pool).await?);
    let Some((slug, post_id, at, top)) = found else { return Ok(None) };
    let newer: i64 = on_pool!(db, |pool| sqlx::query_scalar(NEWER)
        .bind(post_id)
        .bind(at)
        .bind(top)
        .fetch_one(pool)
        .await?);
    Ok(Some((slug, newer / PER_PAGE + 1)))
}

/// A comment as the article shows it.
#[derive(Debug, Clone, FromRow)]
pub struct Shown {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub author_name: String,
    pub author_url: String,
    pub body_html: String,
    pub staff_reply: bool,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
}

/// One page of an article's approved comments: top-level comments oldest first, each with its
/// approved replies oldest first. Page 1 holds the newest [`PER_PAGE`] top-level comments (as
/// WordPress shows the last page first); page 2 the ones before, and so on. Deleted comments
/// stay only as the place of the replies under them. Returns the threads and how many pages
/// there are.
pub async fn thread(db: &Db, post_id: i64, page: i64) -> sqlx::Result<(Vec<(Shown, Vec<Shown>)>, i64)> {
    const COUNT: &str = "SELECT COUNT(*) FROM comments WHERE post_id = $1 AND status = 'approved'
        AND parent_id IS NULL";
    const COLUMNS: &str = "id, parent_id, author_name, author_url, body_html, staff_reply, created_at,
        edited_at, deleted_at";
    let top_sql = format!(
        "SELECT * FROM (SELECT {COLUMNS} FROM comments WHERE post_id = $1 AND status = 'approved'
         AND parent_id IS NULL ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3) newest
         ORDER BY created_at, id"
    );
    let replies_sql = format!(
        "SELECT {COLUMNS} FROM comments WHERE post_id = $1 AND status = 'approved'
         AND parent_id IS NOT NULL AND deleted_at IS NULL ORDER BY created_at, id"
    );
    let offset = (page.clamp(1, i64::MAX / PER_PAGE) - 1) * PER_PAGE;
    let (total, top, replies): (i64, Vec<Shown>, Vec<Shown>) = on_pool!(db, |pool| {
        let total = sqlx::query_scalar(COUNT).bind(post_id).fetch_one(pool).await?;
        let top = sqlx::query_as(&top_sql).bind(post_id).bind(PER_PAGE).bind(offset).fetch_all(pool).await?;
        let replies = sqlx::query_as(&replies_sql).bind(post_id).fetch_all(pool).await?;
        (total, top, replies)
    });
    let mut threads: Vec<(Shown, Vec<Shown>)> = top.into_iter().map(|c| (c, Vec::new())).collect();
    for reply in replies {
        if let Some((_, under)) = threads.iter_mut().find(|(c, _)| Some(c.id) == reply.parent_id) {
            under.push(reply);
        }
    }
    threads.retain(|(c, replies)| c.deleted_at.is_none() || !replies.is_empty());
    let pages = (total + PER_PAGE - 1) / PER_PAGE;
    Ok((threads, pages.max(1)))
}

/// One approved comment as the article shows it (for htmx, once it is posted).
pub async fn thread_item(db: &Db, id: i64) -> sqlx::Result<Option<Shown>> {
    const SQL: &str = "SELECT id, parent_id, author_name, author_url, body_html, staff_reply, created_at,
        edited_at, deleted_at FROM comments WHERE id = $1 AND status = 'approved'";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
}

/// Everything stored about a comment, with its post's title, slug and author.
#[derive(Debug, Clone, FromRow)]
pub struct Comment {
    pub id: i64,
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub user_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body_md: String,
    pub body_html: String,
    pub status: String,
    pub held_for: String,
    pub staff_reply: bool,
    pub notify_replies: bool,
    pub client_addr: String,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
    pub post_title: String,
    pub post_slug: String,
    pub post_author_id: i64,
}

impl Comment {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Pending)
    }
}

pub(crate) const FULL: &str = "SELECT c.id, c.post_id, c.parent_id, c.user_id, c.author_name, c.author_email,
    c.author_url, c.body_md, c.body_html, c.status, c.held_for, c.staff_reply, c.notify_replies,
    c.client_addr, c.created_at, c.edited_at, c.deleted_at, p.title AS post_title,
    p.slug AS post_slug, p.author_id AS post_author_id
    FROM comments c JOIN posts p ON p.id = c.post_id";

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Comment>> {
    let sql = format!("{FULL} WHERE c.id = $1");
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// The comments `user_id` wrote on `post_id` and has not deleted, newest first (for the
/// comment page, where a member edits or deletes their own).
pub async fn mine(db: &Db, user_id: i64, post_id: i64) -> sqlx::Result<Vec<Comment>> {
    let sql = format!(
        "{FULL} WHERE c.user_id = $1 AND c.post_id = $2 AND c.deleted_at IS NULL
         AND c.status IN ('pending', 'approved') ORDER BY c.created_at DESC, c.id DESC LIMIT 50"
    );
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(user_id).bind(post_id).fetch_all(pool).await)
}

/// A comment's new text, as its author edited it, with the status the spam rules give it.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub status: Status,
    pub held_for: &'a str,
}

/// Replaces a comment's text (its author, within the edit window).
pub async fn edit(db: &Db, id: i64, e: &Edit<'_>, now: Timestamp) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE comments SET body_md = $2, body_html = $3, status = $4, held_for = $5,
        edited_at = $6, changed_at = $6 WHERE id = $1";
    on_pool!(db, |pool| {
        sqlx::query(SQL)
            .bind(id)
            .bind(e.body_md)
            .bind(e.body_html)
            .bind(e.status.as_str())
            .bind(e.held_for)
            .bind(now)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Deletes a comment for its author: the text is wiped at once; the row stays so that replies
/// keep their place under "deleted".
pub async fn delete_own(db: &Db, id: i64, now: Timestamp) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE comments SET body_md = '', body_html = '', author_url = '',
        notify_replies = FALSE, deleted_at = $2, changed_at = $2 WHERE id = $1";
    on_pool!(db, |pool| {
        sqlx::query(SQL).bind(id).bind(now).execute(pool).await?;
    });
    Ok(())
}

/// Turns reply notices off for a comment (its one-click unsubscribe link).
pub async fn stop_reply_notices(db: &Db, id: i64) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE comments SET notify_replies = FALSE WHERE id = $1 AND notify_replies";
    Ok(on_pool!(db, |pool| sqlx::query(SQL).bind(id).execute(pool).await?.rows_affected()) > 0)
}
