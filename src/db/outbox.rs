//! The mail outbox: every message is stored before anyone is told it was sent, then delivered
//! by the sender task. A claim (`claimed_until`) keeps two processes from sending one message.

use sqlx::FromRow;

use super::{Db, on_pool};
use crate::domain::Timestamp;

/// A message ready to go.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

/// A stored message.
#[derive(Debug, Clone, FromRow)]
pub struct Mail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: String,
    /// For a newsletter message: its mailing and subscriber (the bodies are the mailing's).
    pub mailing_id: Option<i64>,
    pub subscriber_id: Option<i64>,
}

const COLUMNS: &str = "id, recipient, subject, text_body, html_body, attempts, sent_at, failed_at, last_error, mailing_id, subscriber_id";

/// Stores a message to send now; `$1`..`$5` are recipient, subject, text, HTML and the time.
pub(crate) const ENQUEUE: &str = "INSERT INTO outbox (recipient, subject, text_body, html_body, created_at,
                       next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";

/// Stores each of `$mails` (`&[NewMail]`) inside the transaction `$tx` at `$now`, so the mail
/// is durable exactly when the change that causes it is; the macro's value is their ids, in
/// order. A macro, as `db::in_tx!` bodies are: the transaction's type differs per backend.
macro_rules! enqueue_in {
    ($tx:ident, $mails:expr, $now:expr) => {{
        let mut ids = Vec::with_capacity($mails.len());
        for mail in $mails {
            let id: i64 = sqlx::query_scalar($crate::db::outbox::ENQUEUE)
                .bind(&mail.recipient)
                .bind(&mail.subject)
                .bind(&mail.text_body)
                .bind(&mail.html_body)
                .bind($now)
                .fetch_one(&mut *$tx)
                .await?;
            ids.push(id);
        }
        ids
    }};
}
pub(crate) use enqueue_in;

pub async fn enqueue(db: &Db, mail: &NewMail, now: Timestamp) -> sqlx::Result<i64> {
    const SQL: &str = ENQUEUE;
    on_pool!(db, |pool| sqlx::query_scalar(SQL)
        .bind(&mail.recipient)
        .bind(&mail.subject)
        .bind(&mail.text_body)
        .bind(&mail.html_body)
        .bind(now)
        .fetch_one(pool)
        .await)
}

/// Which messages a claim takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Mail to one person (confirmations, resets, notices): sent first, at once.
    Personal,
    /// Newsletter messages, paced by `db::mailings::take_slot`.
    Newsletter,
}

/// Claims the next due message of `queue` until `now + lease`: one at a time, so the lease
/// covers one delivery, not a batch that a slow server could stretch past it (then another
/// process would send the rest again). The conditions are repeated in the outer WHERE so that
/// PostgreSQL re-checks them on a row another process claimed, or sent, meanwhile (it re-checks
/// the outer WHERE on the row's new version, not the subquery).
///
/// A personal message whose lease ran out (its process stopped) is claimed again: sending a
/// password reset twice is better than never. A newsletter message is claimed only if no claim
/// is on it (`claimed_until = 0`: never taken, or given back by [`release`] or [`mark_failed`]):
/// one left claimed by a process that stopped mid-message may have gone, and each subscriber
/// gets a mailing at most once, so it waits for the admin's "retry".
pub async fn claim_next(db: &Db, queue: Queue, now: Timestamp, lease: i64) -> sqlx::Result<Option<Mail>> {
    let which = match queue {
        Queue::Personal => {
            "mailing_id IS NULL AND sent_at IS NULL AND failed_at IS NULL AND claimed_until <= $1"
        }
        Queue::Newsletter => {
            "mailing_id IS NOT NULL AND sent_at IS NULL AND failed_at IS NULL AND claimed_until = 0"
        }
    };
    let sql = format!(
        "UPDATE outbox SET claimed_until = $2
         WHERE {which} AND id IN (
             SELECT id FROM outbox WHERE {which} AND next_attempt_at <= $1 ORDER BY id LIMIT 1)
         RETURNING {COLUMNS}"
    );
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(now).bind(now + lease).fetch_optional(pool).await)
}

/// Whether a newsletter message is due (so a paced sender knows whether to take a slot).
pub async fn newsletter_due(db: &Db, now: Timestamp) -> sqlx::Result<bool> {
    const SQL: &str =
        "SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE mailing_id IS NOT NULL AND sent_at IS NULL
                       AND failed_at IS NULL AND claimed_until = 0 AND next_attempt_at <= $1 LIMIT 1) AS due";
    on_pool!(db, |pool| Ok(sqlx::query_scalar::<_, i64>(SQL).bind(now).fetch_one(pool).await? > 0))
}

/// Gives up on a newsletter message for good without sending it: `bounced` when its server
/// refused it permanently, else `error` says why (the subscriber left, the mailing is gone).
pub async fn mark_dropped(db: &Db, id: i64, error: &str, bounced: bool, now: Timestamp) -> sqlx::Result<()> {
    const SQL: &str =
        "UPDATE outbox SET attempts = attempts + 1, failed_at = $2, claimed_until = 0, last_error = $3,
                       bounced = $4 WHERE id = $1";
    on_pool!(db, |pool| sqlx::query(SQL)
        .bind(id)
        .bind(now)
        .bind(error)
        .bind(bounced)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Records a delivery. The bodies go: their links (resets, invitations) must not outlive the
/// message in a backup; the tokens behind them are stored hashed, the mail is not.
pub async fn mark_sent(db: &Db, id: i64, now: Timestamp) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE outbox SET sent_at = $2, attempts = attempts + 1, claimed_until = 0,
                       last_error = '', text_body = '', html_body = '' WHERE id = $1";
    on_pool!(db, |pool| sqlx::query(SQL).bind(id).bind(now).execute(pool).await.map(|_| ()))
}

/// Records a failed attempt: try again at `retry_at`, or give up for good when it is `None`
/// (then the bodies go, as after a delivery).
pub async fn mark_failed(
    db: &Db,
    id: i64,
    error: &str,
    retry_at: Option<Timestamp>,
    now: Timestamp,
) -> sqlx::Result<()> {
    const RETRY: &str = "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2,
                         claimed_until = 0, last_error = $3 WHERE id = $1";
    const GIVE_UP: &str = "UPDATE outbox SET attempts = attempts + 1, failed_at = $2, claimed_until = 0,
                           last_error = $3, text_body = '', html_body = '' WHERE id = $1";
    let (sql, at) = match retry_at {
        Some(at) => (RETRY, at),
        None => (GIVE_UP, now),
    };
    on_pool!(db, |pool| sqlx::query(sql).bind(id).bind(at).bind(error).execute(pool).await.map(|_| ()))
}

/// The most recent messages (newest first), for the operator and for tests.
pub async fn recent(db: &Db, limit: i64) -> sqlx::Result<Vec<Mail>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1");
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(limit).fetch_all(pool).await)
}

/// How long the record of a sent or abandoned message is kept (its bodies are already gone).
pub const KEEP_SECS: Timestamp = 30 * 86_400;

/// Housekeeping: deletes messages sent or given up on more than [`KEEP_SECS`] ago, and blanks
/// the bodies of any finished message that still has them (rows from before bodies were
/// blanked at once). A newsletter message's row stays, since its mailing's report counts it,
/// but its address goes after the same time. Returns how many rows went.
pub async fn prune(db: &Db, now: Timestamp) -> sqlx::Result<u64> {
    const OLD: &str = "DELETE FROM outbox WHERE COALESCE(sent_at, failed_at) <= $1 AND mailing_id IS NULL";
    const FORGET: &str = "UPDATE outbox SET recipient = '' WHERE mailing_id IS NOT NULL
                          AND COALESCE(sent_at, failed_at) <= $1 AND recipient <> ''";
    const BLANK: &str = "UPDATE outbox SET text_body = '', html_body = ''
                         WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL) AND text_body <> ''";
    Ok(super::in_tx!(db, |tx| {
        let gone = sqlx::query(OLD).bind(now - KEEP_SECS).execute(&mut *tx).await?.rows_affected();
        sqlx::query(FORGET).bind(now - KEEP_SECS).execute(&mut *tx).await?;
        sqlx::query(BLANK).execute(&mut *tx).await?;
        gone
    }))
}

/// Messages not yet sent nor given up on, oldest first, for `folio outbox`.
pub async fn pending(db: &Db) -> sqlx::Result<Vec<Mail>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id");
    on_pool!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)
}

/// Gives back a claim this process will not finish (it is shutting down), so that any process
/// sends the message at once instead of after the lease. A message already sent or given up on
/// is left alone.
pub async fn release(db: &Db, id: i64) -> sqlx::Result<()> {
    const SQL: &str =
        "UPDATE outbox SET claimed_until = 0 WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL";
    on_pool!(db, |pool| sqlx::query(SQL).bind(id).execute(pool).await.map(|_| ()))
}

/// The outbox at a glance, for `/metrics`.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct Depth {
    /// Messages not yet sent nor given up on.
    pub pending: i64,
    /// When the oldest of them was queued (Unix seconds), if any is.
    pub oldest: Option<i64>,
    /// Messages given up on after their last attempt (until pruned, [`KEEP_SECS`]).
    pub failed: i64,
}

pub async fn depth(db: &Db) -> sqlx::Result<Depth> {
    const SQL: &str = "SELECT
            COUNT(*) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL) AS pending,
            MIN(created_at) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL) AS oldest,
            COUNT(*) FILTER (WHERE failed_at IS NOT NULL) AS failed
        FROM outbox";
    on_pool!(db, |pool| sqlx::query_as(SQL).fetch_one(pool).await)
}
