//! The newsletter's subscribers: signing up (double opt-in, or at once for a signed-in member),
//! confirming, changing the cadence, leaving, and the admin's list, removal and CSV import.

use sqlx::FromRow;

use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;
use crate::domain::newsletter::{Cadence, Status};

/// A subscriber as stored (see `migrations/*/0016_newsletter.sql` for each column's meaning).
#[derive(Debug, Clone, FromRow)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub status: String,
    pub cadence: String,
    pub user_id: Option<i64>,
    pub source: String,
    pub created_at: Timestamp,
    pub consent_at: Option<Timestamp>,
    pub consent_how: String,
    pub consent_addr: String,
    pub unsubscribed_at: Option<Timestamp>,
    pub bounces: i64,
    pub last_bounce: String,
}

impl Subscriber {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Unsubscribed)
    }

    pub fn cadence(&self) -> Cadence {
        Cadence::parse(&self.cadence).unwrap_or_default()
    }
}

pub(crate) const COLUMNS: &str =
    "id, email, status, cadence, user_id, source, created_at, consent_at, consent_how,
    consent_addr, unsubscribed_at, bounces, last_bounce";

/// A request to join the list.
#[derive(Debug, Clone)]
pub struct SignUp<'a> {
    /// Already checked ([`crate::domain::email::Email`]).
    pub email: &'a str,
    pub cadence: Cadence,
    /// The form it came from (`home`, `article`, `subscribe`).
    pub source: &'a str,
    /// A signed-in member whose confirmed address this is: subscribed at once, no mail.
    pub member: Option<i64>,
    pub addr: &'a str,
}

/// What a sign-up came to; the visitor is told the same whatever it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// Waiting for the confirmation link, which signs the subscriber and this moment.
    Unconfirmed { id: i64, signed_up_at: Timestamp },
    /// Subscribed now (a member) or already; `new` says which.
    Subscribed { id: i64, new: bool },
}

/// Adds or renews a sign-up. An address already subscribed stays as it is (its cadence too: a
/// stranger must not change it). Any other known address keeps its row as it is (an
/// unsubscribed one stays so, with its record of leaving) and gets a new pending sign-up, which
/// its confirmation link names; an unconfirmed one also takes this form's cadence and source.
/// A member's own confirmed address is subscribed at once.
pub async fn sign_up(db: &Db, s: &SignUp<'_>, now: Timestamp) -> sqlx::Result<Joined> {
    const FIND: &str = "SELECT id, status FROM subscribers WHERE email = $1";
    // ON CONFLICT: two sign-ups of a new address at once (PostgreSQL) find the row instead.
    const INSERT: &str = "INSERT INTO subscribers (email, status, cadence, user_id, source, created_at,
                          confirm_sent_at, consent_at, consent_how, consent_addr, changed_at)
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $6)
                          ON CONFLICT (email) DO NOTHING RETURNING id";
    const PENDING: &str = "UPDATE subscribers SET confirm_sent_at = $2, changed_at = $2,
                           cadence = CASE WHEN status = 'unconfirmed' THEN $3 ELSE cadence END,
                           source = CASE WHEN status = 'unconfirmed' THEN $4 ELSE source END WHERE id = $1";
    const MEMBER: &str = "UPDATE subscribers SET status = 'subscribed', cadence = $2, user_id = $3, source = $4,
                          consent_at = $5, consent_how = 'signed-in member', consent_addr = $6,
                          unsubscribed_at = NULL, bounces = 0, last_bounce = '', changed_at = $5 WHERE id = $1";
    let (status, confirm_sent_at, consent_at, how, addr) = match s.member {
        Some(_) => (Status::Subscribed, None, Some(now), "signed-in member", s.addr),
        None => (Status::Unconfirmed, Some(now), None, "", ""),
    };
    Ok(in_tx!(db, |tx| {
        let mut found: Option<(i64, String)> =
            sqlx::query_as(FIND).bind(s.email).fetch_optional(&mut *tx).await?;
        let inserted: Option<i64> = if found.is_none() {
            sqlx::query_scalar(INSERT)
                .bind(s.email)
                .bind(status.as_str())
                .bind(s.cadence.as_str())
                .bind(s.member)
                .bind(s.source)
                .bind(now)
                .bind(confirm_sent_at)
                .bind(consent_at)
                .bind(how)
                .bind(addr)
                .fetch_optional(&mut *tx)
                .await?
        } else {
            None
        };
        if inserted.is_none() && found.is_none() {
            found = sqlx::query_as(FIND).bind(s.email).fetch_optional(&mut *tx).await?;
        }
        match (inserted, found) {
            (Some(id), _) if s.member.is_some() => Joined::Subscribed { id, new: true },
            (Some(id), _) => Joined::Unconfirmed { id, signed_up_at: now },
            (None, Some((id, was))) if was == Status::Subscribed.as_str() => {
                Joined::Subscribed { id, new: false }
            }
            (None, Some((id, _))) if s.member.is_some() => {
                sqlx::query(MEMBER)
                    .bind(id)
                    .bind(s.cadence.as_str())
                    .bind(s.member)
                    .bind(s.source)
                    .bind(now)
                    .bind(s.addr)
                    .execute(&mut *tx)
                    .await?;
                Joined::Subscribed { id, new: true }
            }
            (None, Some((id, _))) => {
                sqlx::query(PENDING)
                    .bind(id)
                    .bind(now)
                    .bind(s.cadence.as_str())
                    .bind(s.source)
                    .execute(&mut *tx)
                    .await?;
                Joined::Unconfirmed { id, signed_up_at: now }
            }
            (None, None) => return Err(sqlx::Error::RowNotFound),
        }
    }))
}

/// Follows a confirmation link: subscribes `id` if `signed_up_at` is still its pending sign-up
/// (whatever it was before: unconfirmed, unsubscribed or bounced). `true` when the subscriber is
/// subscribed afterwards (a second click is as good as the first).
pub async fn confirm(
    db: &Db,
    id: i64,
    signed_up_at: Timestamp,
    addr: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE subscribers SET status = 'subscribed', consent_at = $3, consent_how = 'confirmed by mail',
                       consent_addr = $4, unsubscribed_at = NULL, bounces = 0, last_bounce = '', changed_at = $3
                       WHERE id = $1 AND confirm_sent_at = $2 AND status <> 'subscribed'";
    const NOW: &str = "SELECT status FROM subscribers WHERE id = $1 AND confirm_sent_at = $2";
    on_pool!(db, |pool| {
        sqlx::query(SQL).bind(id).bind(signed_up_at).bind(now).bind(addr).execute(pool).await?;
        let status: Option<String> =
            sqlx::query_scalar(NOW).bind(id).bind(signed_up_at).fetch_optional(pool).await?;
        Ok(status.as_deref() == Some(Status::Subscribed.as_str()))
    })
}

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Subscriber>> {
    let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE id = $1");
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn set_cadence(db: &Db, id: i64, cadence: Cadence, now: Timestamp) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE subscribers SET cadence = $2, changed_at = $3 WHERE id = $1";
    on_pool!(db, |pool| sqlx::query(SQL)
        .bind(id)
        .bind(cadence.as_str())
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Takes `id` off the list (from the manage page, or RFC 8058's one-click POST). Idempotent:
/// `true` if this call did it.
pub async fn unsubscribe(db: &Db, id: i64, now: Timestamp) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = $2, changed_at = $2
                       WHERE id = $1 AND status <> 'unsubscribed'";
    on_pool!(db, |pool| Ok(sqlx::query(SQL).bind(id).bind(now).execute(pool).await?.rows_affected() == 1))
}

/// Puts back on the list someone who left, from their manage page: the link in a mail they
/// received proves the mailbox, so no second confirmation is asked.
pub async fn resubscribe(db: &Db, id: i64, addr: &str, now: Timestamp) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE subscribers SET status = 'subscribed', unsubscribed_at = NULL, consent_at = $2,
                       consent_how = 'rejoined from a mailed link', consent_addr = $3, bounces = 0, last_bounce = '',
                       changed_at = $2 WHERE id = $1 AND status = 'unsubscribed'";
    on_pool!(db, |pool| sqlx::query(SQL).bind(id).bind(now).bind(addr).execute(pool).await.map(|_| ()))
}

/// A message reached `id`: earlier refusals were passing (a full mailbox since emptied), so
/// they no longer count towards the bounce limit.
pub async fn delivered(db: &Db, id: i64) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE subscribers SET bounces = 0, last_bounce = '' WHERE id = $1 AND bounces > 0";
    on_pool!(db, |pool| sqlx::query(SQL).bind(id).execute(pool).await.map(|_| ()))
}

/// Counts a permanent refusal of mail to `id`; at `limit` refusals the address is marked
/// bounced and skipped from then on. Returns whether it is bounced now.
pub async fn bounced(db: &Db, id: i64, error: &str, limit: i64, now: Timestamp) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE subscribers SET bounces = bounces + 1, last_bounce = $2, changed_at = $3,
                       status = CASE WHEN bounces + 1 >= $4 AND status = 'subscribed' THEN 'bounced' ELSE status END
                       WHERE id = $1 RETURNING status";
    on_pool!(db, |pool| {
        let status: Option<String> =
            sqlx::query_scalar(SQL).bind(id).bind(error).bind(now).bind(limit).fetch_optional(pool).await?;
        Ok(status.as_deref() == Some(Status::Bounced.as_str()))
    })
}
