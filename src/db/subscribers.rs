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
/// stranger must not change it); any other is (again) unconfirmed, from this form, now, unless
/// a member signs up with their own confirmed address.
pub async fn sign_up(db: &Db, s: &SignUp<'_>, now: Timestamp) -> sqlx::Result<Joined> {
    const FIND: &str = "SELECT id, status FROM subscribers WHERE email = $1";
    const INSERT: &str = "INSERT INTO subscribers (email, status, cadence, user_id, source, created_at, consent_at,
                          consent_how, consent_addr, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $6)
                          RETURNING id";
    const RENEW: &str = "UPDATE subscribers SET status = $2, cadence = $3, user_id = COALESCE($4, user_id),
                         source = $5, created_at = $6, consent_at = $7, consent_how = $8, consent_addr = $9,
                         unsubscribed_at = NULL, changed_at = $6 WHERE id = $1";
    let (status, consent_at, how) = match s.member {
        Some(_) => (Status::Subscribed, Some(now), "signed-in member"),
        None => (Status::Unconfirmed, None, ""),
    };
    let addr = if s.member.is_some() { s.addr } else { "" };
    Ok(in_tx!(db, |tx| {
        let found: Option<(i64, String)> =
            sqlx::query_as(FIND).bind(s.email).fetch_optional(&mut *tx).await?;
        match found {
            Some((id, was)) if was == Status::Subscribed.as_str() => Joined::Subscribed { id, new: false },
            Some((id, _)) => {
                sqlx::query(RENEW)
                    .bind(id)
                    .bind(status.as_str())
                    .bind(s.cadence.as_str())
                    .bind(s.member)
                    .bind(s.source)
                    .bind(now)
                    .bind(consent_at)
                    .bind(how)
                    .bind(addr)
                    .execute(&mut *tx)
                    .await?;
                joined(id, status, now)
            }
            None => {
                let id: i64 = sqlx::query_scalar(INSERT)
                    .bind(s.email)
                    .bind(status.as_str())
                    .bind(s.cadence.as_str())
                    .bind(s.member)
                    .bind(s.source)
                    .bind(now)
                    .bind(consent_at)
                    .bind(how)
                    .bind(addr)
                    .fetch_one(&mut *tx)
                    .await?;
                joined(id, status, now)
            }
        }
    }))
}

fn joined(id: i64, status: Status, now: Timestamp) -> Joined {
    if status == Status::Subscribed {
        Joined::Subscribed { id, new: true }
    } else {
        Joined::Unconfirmed { id, signed_up_at: now }
    }
}

/// Follows a confirmation link: subscribes `id` if it is still the sign-up of `signed_up_at`.
/// `true` when the subscriber is subscribed afterwards (a second click is as good as the first).
pub async fn confirm(
    db: &Db,
    id: i64,
    signed_up_at: Timestamp,
    addr: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    const SQL: &str =
        "UPDATE subscribers SET status = 'subscribed', consent_at = $3, consent_how = 'confirmed by mail',
                       consent_addr = $4, bounces = 0, last_bounce = '', changed_at = $3
                       WHERE id = $1 AND created_at = $2 AND status = 'unconfirmed'";
    const NOW: &str = "SELECT status FROM subscribers WHERE id = $1 AND created_at = $2";
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

pub async fn find_by_email(db: &Db, email: &str) -> sqlx::Result<Option<Subscriber>> {
    let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE email = $1");
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(email).fetch_optional(pool).await)
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
