//! Accounts: lookup, creation (setup, sign-up, invitation), profile, password, role and ownership
//! changes, deletion. Two-factor secrets and recovery codes are in [`super::two_factor`].

use sqlx::FromRow;

use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;
use crate::domain::email::Email;
use crate::domain::roles::Role;
use crate::domain::slug::Slug;

/// An account as the application sees it.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub slug: String,
    pub bio: String,
    pub avatar_url: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub email_confirmed_at: Option<Timestamp>,
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl User {
    pub fn has_two_factor(&self) -> bool {
        self.totp_secret.is_some()
    }
}

#[derive(FromRow)]
pub(crate) struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    slug: String,
    bio: String,
    avatar_url: String,
    role: String,
    password_hash: Option<String>,
    totp_secret: Option<String>,
    totp_last_step: Option<i64>,
    email_confirmed_at: Option<i64>,
    disabled_at: Option<i64>,
    created_at: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            slug: r.slug,
            bio: r.bio,
            avatar_url: r.avatar_url,
            // An unknown role (a hand-edited row) gets the least power, never more.
            role: Role::parse(&r.role).unwrap_or(Role::Member),
            password_hash: r.password_hash,
            totp_secret: r.totp_secret,
            totp_last_step: r.totp_last_step,
            email_confirmed_at: r.email_confirmed_at,
            disabled_at: r.disabled_at,
            created_at: r.created_at,
        }
    }
}

/// The columns of [`UserRow`], for queries that select a user.
pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.display_name, u.slug, u.bio, u.avatar_url, u.role,
    u.password_hash, u.totp_secret, u.totp_last_step, u.email_confirmed_at, u.disabled_at, u.created_at";

/// A new account's fields.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub email: &'a Email,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub email_confirmed: bool,
}

/// Why an account could not be created or changed.
#[derive(Debug)]
pub enum AccountError {
    EmailTaken,
    /// Setup already ran: an owner exists.
    SetupClosed,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            // Only the address: other unique keys (the slug) are Folio's to resolve, not the
            // person's. PostgreSQL names the constraint; SQLite names the column.
            sqlx::Error::Database(d)
                if d.is_unique_violation()
                    && (d.constraint() == Some("users_email_key") || d.message().contains("users.email")) =>
            {
                AccountError::EmailTaken
            }
            _ => AccountError::Db(e),
        }
    }
}

/// The id and address of the author at `slug`, if they want to hear of new comments on their
/// posts (`users.notify_comments`) and their account is active.
pub async fn comment_notice_recipient(db: &Db, slug: &str) -> sqlx::Result<Option<(i64, String)>> {
    const SQL: &str = "SELECT id, email FROM users WHERE slug = $1 AND notify_comments
                       AND disabled_at IS NULL AND email <> ''";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(slug).fetch_optional(pool).await)
}

/// Turns the mail about new comments on `user_id`'s posts on or off.
pub async fn set_comment_notices(db: &Db, user_id: i64, on: bool) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE users SET notify_comments = $2 WHERE id = $1";
    on_pool!(db, |pool| sqlx::query(SQL).bind(user_id).bind(on).execute(pool).await.map(|_| ()))
}

/// Whether `user_id` hears of new comments on their posts.
pub async fn comment_notices(db: &Db, user_id: i64) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT notify_comments FROM users WHERE id = $1";
    on_pool!(db, |pool| sqlx::query_scalar(SQL).bind(user_id).fetch_optional(pool).await)
        .map(|on: Option<bool>| on.unwrap_or(false))
}

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
    let row: Option<UserRow> =
        on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
    Ok(row.map(User::from))
}

pub async fn find_by_email(db: &Db, email: &Email) -> sqlx::Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
    let row: Option<UserRow> =
        on_pool!(db, |pool| sqlx::query_as(&sql).bind(email.as_str()).fetch_optional(pool).await?);
    Ok(row.map(User::from))
}

/// Every account, staff first by role, then by name.
pub async fn list(db: &Db) -> sqlx::Result<Vec<User>> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users u ORDER BY CASE u.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1
         WHEN 'editor' THEN 2 WHEN 'author' THEN 3 WHEN 'contributor' THEN 4 ELSE 5 END, u.display_name, u.id"
    );
    let rows: Vec<UserRow> = on_pool!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await?);
    Ok(rows.into_iter().map(User::from).collect())
}

/// Whether setup has run (an owner exists).
pub async fn owner_exists(db: &Db) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT COUNT(*) FROM users WHERE role = 'owner'";
    let n: i64 = on_pool!(db, |pool| sqlx::query_scalar(SQL).fetch_one(pool).await?);
    Ok(n > 0)
}

macro_rules! insert_user {
    ($tx:ident, $user:expr, $now:expr) => {{
        const TAKEN: &str = "SELECT slug FROM users WHERE slug LIKE $1";
        // A slug taken meanwhile by a concurrent insert (ON CONFLICT waits for it to commit)
        // yields no row, and another candidate is tried; an address taken is a real error.
        const INSERT: &str = "INSERT INTO users (email, display_name, slug, role, password_hash,
                              email_confirmed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
                              ON CONFLICT (slug) DO NOTHING RETURNING id";
        let base = Slug::from_title_or($user.display_name, "user");
        let confirmed = $user.email_confirmed.then_some($now);
        let mut inserted: Option<i64> = None;
        for attempt in 0..$crate::domain::slug::ALLOCATION_ATTEMPTS {
            let taken: Vec<String> = sqlx::query_scalar(TAKEN)
                .bind(format!("{}%", base.family_prefix()))
                .fetch_all(&mut *$tx)
                .await?;
            let slug = base.candidate(attempt, |s| taken.iter().any(|t| t == s)).into_string();
            inserted = sqlx::query_scalar(INSERT)
                .bind($user.email.as_str())
                .bind($user.display_name)
                .bind(slug)
                .bind($user.role.as_str())
                .bind($user.password_hash)
                .bind(confirmed)
                .bind($now)
                .fetch_optional(&mut *$tx)
                .await?;
            if inserted.is_some() {
                break;
            }
        }
        inserted.ok_or(sqlx::Error::RowNotFound)?
    }};
}

/// Spends the invitation whose token digest is `token_hash` and creates its account, in one
/// transaction: an invitation is never used up by an account that was not made, nor an account
/// made from an invitation someone else spent meanwhile. `Ok(None)` when the link is dead.
pub async fn accept_invitation(
    db: &Db,
    token_hash: &str,
    user: &NewUser<'_>,
    now: Timestamp,
) -> Result<Option<i64>, AccountError> {
    const SPEND: &str = "DELETE FROM tokens WHERE token_hash = $1 AND purpose = 'invite' AND expires_at > $2
                         AND lower(email) = lower($3) RETURNING token_hash";
    in_tx!(db, |tx| {
        let spent: Option<String> = sqlx::query_scalar(SPEND)
            .bind(token_hash)
            .bind(now)
            .bind(user.email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if spent.is_none() {
            return Ok(None);
        }
        Ok(Some(insert_user!(tx, user, now)))
    })
}

/// Creates an account.
pub async fn create(db: &Db, user: &NewUser<'_>, now: Timestamp) -> Result<i64, AccountError> {
    Ok(in_tx!(db, |tx| insert_user!(tx, user, now)))
}

/// Creates the owner and records the site title, unless an owner already exists: the check and
/// the insert share one transaction, so two visitors racing through setup get one owner.
pub async fn create_owner(
    db: &Db,
    user: &NewUser<'_>,
    site_title: &str,
    now: Timestamp,
) -> Result<i64, AccountError> {
    const OWNERS: &str = "SELECT COUNT(*) FROM users WHERE role = 'owner'";
    const TITLE: &str = "INSERT INTO site_settings (key, value) VALUES ('site_title', $1)
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    const LOCK_PG: &str = "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE";
    in_tx!(db, |tx| {
        if matches!(db, Db::Postgres(_)) {
            sqlx::query(LOCK_PG).execute(&mut *tx).await?;
        }
        let owners: i64 = sqlx::query_scalar(OWNERS).fetch_one(&mut *tx).await?;
        if owners > 0 {
            return Err(AccountError::SetupClosed);
        }
        let id = insert_user!(tx, user, now);
        sqlx::query(TITLE).bind(site_title).execute(&mut *tx).await?;
        Ok(id)
    })
}

pub async fn update_profile(
    db: &Db,
    id: i64,
    profile: &crate::domain::accounts::Profile,
) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE users SET display_name = $2, bio = $3, avatar_url = $4 WHERE id = $1";
    on_pool!(db, |pool| sqlx::query(SQL)
        .bind(id)
        .bind(&profile.display_name)
        .bind(&profile.bio)
        .bind(&profile.avatar_url)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Mailed links that a change of `user`'s password or address must kill: every link the
/// account holds (resets, address changes, confirmations) and any invitation to its address,
/// since all of them were sent to an address or for a password that no longer holds.
pub(crate) const REVOKE_LINKS: &str = "DELETE FROM tokens WHERE user_id = $1 OR email = $2";

/// The invitations `$1` sent: they go when the sender loses the power to invite (disabled,
/// given another role, deleted), as an admin's keys would.
const DROP_INVITATIONS: &str = "DELETE FROM tokens WHERE purpose = 'invite' AND created_by = $1";

/// Stores a new password hash and ends every session of the account except `keep` (the one that
/// made the change, if any), along with every outstanding mailed link ([`REVOKE_LINKS`]).
pub async fn set_password(db: &Db, id: i64, hash: &str, keep: Option<&str>) -> sqlx::Result<()> {
    const SET: &str = "UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING email";
    const END: &str = "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2";
    in_tx!(db, |tx| {
        let email: Option<String> =
            sqlx::query_scalar(SET).bind(id).bind(hash).fetch_optional(&mut *tx).await?;
        sqlx::query(END).bind(id).bind(keep.unwrap_or("")).execute(&mut *tx).await?;
        sqlx::query(REVOKE_LINKS).bind(id).bind(email.unwrap_or_default()).execute(&mut *tx).await?;
    });
    Ok(())
}

/// Replaces a hash made with outdated parameters; sessions are untouched.
pub async fn rehash_password(db: &Db, id: i64, hash: &str) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
    on_pool!(db, |pool| sqlx::query(SQL).bind(id).bind(hash).execute(pool).await.map(|_| ()))
}

/// Takes over the unconfirmed member account at `email` for a new sign-up: its name and password
/// become the new ones, its sessions and links end. Whoever signed up first never proved the
/// mailbox, so the address is not theirs to keep (else anyone could squat anyone's address).
/// `None` when the address has a confirmed or staff account.
pub async fn take_over_unconfirmed(
    db: &Db,
    email: &Email,
    display_name: &str,
    hash: &str,
) -> sqlx::Result<Option<i64>> {
    const SQL: &str = "UPDATE users SET display_name = $2, password_hash = $3
                       WHERE email = $1 AND role = 'member' AND email_confirmed_at IS NULL RETURNING id";
    const END: &str = "DELETE FROM sessions WHERE user_id = $1";
    Ok(in_tx!(db, |tx| {
        let id: Option<i64> = sqlx::query_scalar(SQL)
            .bind(email.as_str())
            .bind(display_name)
            .bind(hash)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(id) = id {
            sqlx::query(END).bind(id).execute(&mut *tx).await?;
            sqlx::query(REVOKE_LINKS).bind(id).bind(email.as_str()).execute(&mut *tx).await?;
        }
        id
    }))
}

/// Changes a role, dropping the invitations the account sent. The owner row is never touched
/// here (see [`transfer_ownership`]).
pub async fn set_role(db: &Db, id: i64, role: Role) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE users SET role = $2 WHERE id = $1 AND role <> 'owner'";
    Ok(in_tx!(db, |tx| {
        let done = sqlx::query(SQL).bind(id).bind(role.as_str()).execute(&mut *tx).await?.rows_affected();
        sqlx::query(DROP_INVITATIONS).bind(id).execute(&mut *tx).await?;
        done == 1
    }))
}

/// Disables an account (ending its sessions at once) or enables it again. Enabling touches
/// nothing else: an account that was never disabled keeps its sessions.
pub async fn set_disabled(db: &Db, id: i64, disabled: bool, now: Timestamp) -> sqlx::Result<()> {
    const DISABLE: &str = "UPDATE users SET disabled_at = $2 WHERE id = $1 AND role <> 'owner'";
    const ENABLE: &str = "UPDATE users SET disabled_at = NULL WHERE id = $1";
    const END: &str = "DELETE FROM sessions WHERE user_id = $1";
    if !disabled {
        on_pool!(db, |pool| sqlx::query(ENABLE).bind(id).execute(pool).await.map(|_| ()))?;
        return Ok(());
    }
    in_tx!(db, |tx| {
        sqlx::query(DISABLE).bind(id).bind(now).execute(&mut *tx).await?;
        sqlx::query(END).bind(id).execute(&mut *tx).await?;
        sqlx::query(DROP_INVITATIONS).bind(id).execute(&mut *tx).await?;
    });
    Ok(())
}

/// Makes `to` the owner and `from` an admin, in one step.
pub async fn transfer_ownership(db: &Db, from: i64, to: i64) -> sqlx::Result<bool> {
    const DEMOTE: &str = "UPDATE users SET role = 'admin' WHERE id = $1 AND role = 'owner'";
    const PROMOTE: &str = "UPDATE users SET role = 'owner'
                           WHERE id = $1 AND role <> 'member' AND disabled_at IS NULL";
    Ok(in_tx!(db, |tx| {
        let demoted = sqlx::query(DEMOTE).bind(from).execute(&mut *tx).await?.rows_affected();
        let promoted = sqlx::query(PROMOTE).bind(to).execute(&mut *tx).await?.rows_affected();
        if demoted != 1 || promoted != 1 {
            // Dropping the transaction rolls both back.
            return Ok(false);
        }
        true
    }))
}

/// Deletes an account. Its posts and pages go to `heir` (the owner when a user deletes
/// themselves); sessions, tokens and codes go with it.
pub async fn delete(db: &Db, id: i64, heir: i64) -> sqlx::Result<()> {
    const POSTS: &str = "UPDATE posts SET author_id = $2 WHERE author_id = $1";
    const PAGES: &str = "UPDATE pages SET author_id = $2 WHERE author_id = $1";
    const USER: &str = "DELETE FROM users WHERE id = $1 AND role <> 'owner'";
    in_tx!(db, |tx| {
        sqlx::query(POSTS).bind(id).bind(heir).execute(&mut *tx).await?;
        sqlx::query(PAGES).bind(id).bind(heir).execute(&mut *tx).await?;
        sqlx::query(DROP_INVITATIONS).bind(id).execute(&mut *tx).await?;
        sqlx::query(USER).bind(id).execute(&mut *tx).await?;
    });
    Ok(())
}

/// The owner's id (the heir of self-deleted accounts).
pub async fn owner_id(db: &Db) -> sqlx::Result<Option<i64>> {
    const SQL: &str = "SELECT id FROM users WHERE role = 'owner' ORDER BY id LIMIT 1";
    on_pool!(db, |pool| sqlx::query_scalar(SQL).fetch_optional(pool).await)
}

/// Every member of staff's id and name, for author choices and filters.
pub async fn staff_names(db: &Db) -> sqlx::Result<Vec<(i64, String)>> {
    const SQL: &str = "SELECT id, display_name FROM users WHERE role <> 'member' ORDER BY display_name, id";
    on_pool!(db, |pool| sqlx::query_as(SQL).fetch_all(pool).await)
}

/// Staff who may be handed a post: those not disabled.
pub async fn active_staff_names(db: &Db) -> sqlx::Result<Vec<(i64, String)>> {
    const SQL: &str = "SELECT id, display_name FROM users
                       WHERE role <> 'member' AND disabled_at IS NULL ORDER BY display_name, id";
    on_pool!(db, |pool| sqlx::query_as(SQL).fetch_all(pool).await)
}
