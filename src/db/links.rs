//! Mailed links spent together with the change they authorise and the mail that reports it, in
//! one transaction: a link is never used up by a change that did not happen, a change never
//! happens on a link someone else spent meanwhile, and the mail about it is written with it.

use super::outbox::{ENQUEUE, NewMail};
use super::users::{AccountError, REVOKE_LINKS};
use super::{Db, in_tx};
use crate::domain::Timestamp;

/// What a spent link does.
#[derive(Debug, Clone, Copy)]
pub enum LinkUse<'a> {
    /// Sets this password hash: ends every session and link of the account, and confirms the
    /// address, since the link reached it.
    Reset { password_hash: &'a str },
    /// Moves the account to the address the link was sent to, confirmed, ending every link of
    /// the account and to its old address.
    ChangeEmail,
    /// Confirms the address a member signed up with.
    Confirm,
}

impl LinkUse<'_> {
    fn purpose(self) -> &'static str {
        match self {
            LinkUse::Reset { .. } => "reset",
            LinkUse::ChangeEmail => "email",
            LinkUse::Confirm => "confirm",
        }
    }
}

/// A link spent: whose account, and the address it was sent to.
#[derive(Debug, Clone)]
pub struct Spent {
    pub user_id: i64,
    pub email: String,
    /// The outbox id of the mail written with the change, if any.
    pub mail_id: Option<i64>,
}

/// Spends the live link whose token digest is `token_hash` for `what`, makes the change, and
/// queues `mail` (whose recipient the caller chose), all or nothing. `Ok(None)` when the link is
/// dead (used, expired, or not of this kind). [`AccountError::EmailTaken`] when the address of
/// an email change went to another account meanwhile; nothing changes then.
pub async fn spend(
    db: &Db,
    token_hash: &str,
    what: LinkUse<'_>,
    mail: Option<&NewMail>,
    now: Timestamp,
) -> Result<Option<Spent>, AccountError> {
    const SPEND: &str = "DELETE FROM tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3
                         AND user_id IS NOT NULL RETURNING user_id, email";
    const PASSWORD: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
    const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
    const CONFIRM: &str =
        "UPDATE users SET email_confirmed_at = COALESCE(email_confirmed_at, $3) WHERE id = $1 AND email = $2";
    const OLD: &str = "SELECT email FROM users WHERE id = $1";
    const MOVE: &str = "UPDATE users SET email = $2, email_confirmed_at = $3 WHERE id = $1";
    in_tx!(db, |tx| {
        let spent: Option<(i64, String)> = sqlx::query_as(SPEND)
            .bind(token_hash)
            .bind(what.purpose())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((user_id, email)) = spent else { return Ok(None) };
        match what {
            LinkUse::Reset { password_hash } => {
                sqlx::query(PASSWORD).bind(user_id).bind(password_hash).execute(&mut *tx).await?;
                sqlx::query(SESSIONS).bind(user_id).execute(&mut *tx).await?;
                sqlx::query(REVOKE_LINKS).bind(user_id).bind(&email).execute(&mut *tx).await?;
                sqlx::query(CONFIRM).bind(user_id).bind(&email).bind(now).execute(&mut *tx).await?;
            }
            LinkUse::ChangeEmail => {
                let old: Option<String> =
                    sqlx::query_scalar(OLD).bind(user_id).fetch_optional(&mut *tx).await?;
                sqlx::query(MOVE).bind(user_id).bind(&email).bind(now).execute(&mut *tx).await?;
                sqlx::query(REVOKE_LINKS)
                    .bind(user_id)
                    .bind(old.unwrap_or_default())
                    .execute(&mut *tx)
                    .await?;
            }
            LinkUse::Confirm => {
                sqlx::query(CONFIRM).bind(user_id).bind(&email).bind(now).execute(&mut *tx).await?;
            }
        }
        let mail_id = match mail {
            Some(m) => Some(
                sqlx::query_scalar::<_, i64>(ENQUEUE)
                    .bind(&m.recipient)
                    .bind(&m.subject)
                    .bind(&m.text_body)
                    .bind(&m.html_body)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?,
            ),
            None => None,
        };
        Ok(Some(Spent { user_id, email, mail_id }))
    })
}
