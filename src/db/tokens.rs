//! Single-use, expiring links sent by mail. Only the token's SHA-256 is stored; using a token
//! deletes its row in the same transaction as the change it authorises (`db::links`), so it
//! cannot be used twice.

use sqlx::FromRow;

use super::{Db, on_pool};
use crate::domain::Timestamp;

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Choose a new password.
    Reset,
    /// Move the account to a new address (sent to that address).
    ChangeEmail,
    /// Confirm the address a member signed up with.
    Confirm,
    /// Create an account with a given role.
    Invite,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Reset => "reset",
            Purpose::ChangeEmail => "email",
            Purpose::Confirm => "confirm",
            Purpose::Invite => "invite",
        }
    }
}

/// A stored token's payload.
#[derive(Debug, Clone, FromRow)]
pub struct Token {
    pub user_id: Option<i64>,
    pub email: String,
    pub role: Option<String>,
    pub created_by: Option<i64>,
    pub expires_at: i64,
}

pub struct NewToken<'a> {
    pub purpose: Purpose,
    pub user_id: Option<i64>,
    pub email: &'a str,
    pub role: Option<&'a str>,
    pub created_by: Option<i64>,
    pub expires_at: Timestamp,
}

/// Stores a token. A new reset, email or confirmation link replaces the user's earlier one of the
/// same purpose, and a new invitation replaces earlier ones to the same address (whatever their
/// role), so only the latest mail works.
pub async fn create(db: &Db, token_hash: &str, t: &NewToken<'_>, now: Timestamp) -> sqlx::Result<()> {
    const EARLIER: &str = "DELETE FROM tokens WHERE user_id = $1 AND purpose = $2";
    const EARLIER_INVITES: &str = "DELETE FROM tokens WHERE purpose = 'invite' AND lower(email) = lower($1)";
    const INSERT: &str = "INSERT INTO tokens (token_hash, purpose, user_id, email, role, created_by,
                          created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    super::in_tx!(db, |tx| {
        if let Some(user_id) = t.user_id {
            sqlx::query(EARLIER).bind(user_id).bind(t.purpose.as_str()).execute(&mut *tx).await?;
        }
        if t.purpose == Purpose::Invite {
            sqlx::query(EARLIER_INVITES).bind(t.email).execute(&mut *tx).await?;
        }
        sqlx::query(INSERT)
            .bind(token_hash)
            .bind(t.purpose.as_str())
            .bind(t.user_id)
            .bind(t.email)
            .bind(t.role)
            .bind(t.created_by)
            .bind(now)
            .bind(t.expires_at)
            .execute(&mut *tx)
            .await?;
    });
    Ok(())
}

/// Reads a live token without using it (to show the form the link leads to).
pub async fn peek(
    db: &Db,
    purpose: Purpose,
    token_hash: &str,
    now: Timestamp,
) -> sqlx::Result<Option<Token>> {
    const SQL: &str = "SELECT user_id, email, role, created_by, expires_at FROM tokens
                       WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3";
    on_pool!(db, |pool| sqlx::query_as(SQL)
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now)
        .fetch_optional(pool)
        .await)
}

/// Outstanding invitations, newest first: (email, role, expires_at).
pub async fn pending_invitations(db: &Db, now: Timestamp) -> sqlx::Result<Vec<(String, String, i64)>> {
    const SQL: &str = "SELECT email, role, expires_at FROM tokens
                       WHERE purpose = 'invite' AND expires_at > $1 ORDER BY created_at DESC";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(now).fetch_all(pool).await)
}

/// Revokes the outstanding invitations to `email`; returns how many there were.
pub async fn revoke_invitations(db: &Db, email: &str) -> sqlx::Result<u64> {
    const SQL: &str = "DELETE FROM tokens WHERE purpose = 'invite' AND lower(email) = lower($1)";
    let done = on_pool!(db, |pool| sqlx::query(SQL).bind(email).execute(pool).await?.rows_affected());
    Ok(done)
}

/// Deletes expired tokens (housekeeping).
pub async fn prune(db: &Db, now: Timestamp) -> sqlx::Result<u64> {
    const SQL: &str = "DELETE FROM tokens WHERE expires_at <= $1";
    let done = on_pool!(db, |pool| sqlx::query(SQL).bind(now).execute(pool).await?.rows_affected());
    Ok(done)
}
