//! Personal access tokens (`api_tokens`): created with their secret shown once, listed without
//! it, revoked, and looked up by the SHA-256 of the secret a request presents. Rules (scopes,
//! names, expiry, who may revoke) are in [`crate::domain::api_tokens`].

use sqlx::FromRow;

use super::{Db, on_pool};
use crate::domain::Timestamp;
use crate::domain::api_tokens::{self, NewApiToken, Scopes, TOUCH_EVERY};
use crate::domain::roles::Role;

/// A token as its owner's list shows it: never its secret nor its hash.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub scopes: Scopes,
    /// Unix seconds, as every time below.
    pub created_at: Timestamp,
    /// `None`: never expires.
    pub expires_at: Option<Timestamp>,
    /// `None`: never used. Written at most every [`TOUCH_EVERY`] seconds.
    pub last_used_at: Option<Timestamp>,
    /// `None`: not revoked.
    pub revoked_at: Option<Timestamp>,
}

impl TokenInfo {
    /// Whether the token still authenticates at `now`: neither revoked nor expired.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

#[derive(FromRow)]
struct InfoRow {
    id: i64,
    name: String,
    scopes: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<InfoRow> for TokenInfo {
    fn from(r: InfoRow) -> TokenInfo {
        TokenInfo {
            id: r.id,
            name: r.name,
            scopes: Scopes::from_stored(&r.scopes),
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// A token just made: its id and its secret, which exists nowhere else and is shown once.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: i64,
    pub secret: String,
}

/// Stores a new token for `user_id` made at `now`; returns its secret, of which only the hash
/// is kept ([`api_tokens::digest`]).
pub async fn create(db: &Db, user_id: i64, token: &NewApiToken, now: Timestamp) -> sqlx::Result<Created> {
    const SQL: &str = "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at, expires_at)
                       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let secret = api_tokens::new_secret();
    let id: i64 = on_pool!(db, |pool| sqlx::query_scalar(SQL)
        .bind(user_id)
        .bind(&token.name)
        .bind(api_tokens::digest(&secret))
        .bind(token.scopes.to_stored())
        .bind(now)
        .bind(api_tokens::expires_at(now, token.days))
        .fetch_one(pool)
        .await?);
    Ok(Created { id, secret })
}

const INFO_COLUMNS: &str = "id, name, scopes, created_at, expires_at, last_used_at, revoked_at";

/// `user_id`'s tokens, newest first, revoked and expired ones included (marked by their times).
pub async fn list_for_user(db: &Db, user_id: i64) -> sqlx::Result<Vec<TokenInfo>> {
    let sql =
        format!("SELECT {INFO_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC");
    let rows: Vec<InfoRow> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await?);
    Ok(rows.into_iter().map(TokenInfo::from).collect())
}

/// Token `id` and the id of the user it belongs to, if it exists.
pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<(i64, TokenInfo)>> {
    let sql = format!("SELECT user_id, {INFO_COLUMNS} FROM api_tokens WHERE id = $1");
    #[derive(FromRow)]
    struct Row {
        user_id: i64,
        #[sqlx(flatten)]
        info: InfoRow,
    }
    let row: Option<Row> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
    Ok(row.map(|r| (r.user_id, TokenInfo::from(r.info))))
}

/// Revokes token `id` at `now` if it is not revoked yet; returns its name, or `None` when there
/// was nothing to revoke. The caller has checked [`api_tokens::may_revoke`].
pub async fn revoke(db: &Db, id: i64, now: Timestamp) -> sqlx::Result<Option<String>> {
    const SQL: &str =
        "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING name";
    on_pool!(db, |pool| sqlx::query_scalar(SQL).bind(id).bind(now).fetch_optional(pool).await)
}

/// Who a request's token speaks for.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub token_id: i64,
    pub token_name: String,
    pub scopes: Scopes,
    pub user_id: i64,
    pub user_name: String,
    pub role: Role,
}

#[derive(FromRow)]
struct AuthRow {
    id: i64,
    name: String,
    scopes: String,
    last_used_at: Option<i64>,
    user_id: i64,
    display_name: String,
    role: String,
}

/// The token whose secret is `secret`, if it is live at `now` (not revoked, not expired) and its
/// owner is enabled staff; records its use (at most every [`TOUCH_EVERY`] seconds). A value
/// that is not shaped like a secret is refused without a query.
pub async fn authenticate(db: &Db, secret: &str, now: Timestamp) -> sqlx::Result<Option<Authenticated>> {
    const SQL: &str = "SELECT t.id, t.name, t.scopes, t.last_used_at, t.user_id, u.display_name, u.role
                       FROM api_tokens t JOIN users u ON u.id = t.user_id
                       WHERE t.token_hash = $1 AND t.revoked_at IS NULL
                         AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.disabled_at IS NULL";
    const TOUCH: &str = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";
    if !api_tokens::is_secret(secret) {
        return Ok(None);
    }
    let hash = api_tokens::digest(secret);
    let row: Option<AuthRow> =
        on_pool!(db, |pool| sqlx::query_as(SQL).bind(&hash).bind(now).fetch_optional(pool).await?);
    let Some(row) = row else { return Ok(None) };
    // An unknown role gets the least power; a member (demoted staff) has no API access.
    let role = Role::parse(&row.role).unwrap_or(Role::Member);
    if !role.is_staff() {
        return Ok(None);
    }
    if row.last_used_at.is_none_or(|at| at <= now - TOUCH_EVERY) {
        on_pool!(db, |pool| sqlx::query(TOUCH).bind(row.id).bind(now).execute(pool).await.map(|_| ())?);
    }
    Ok(Some(Authenticated {
        token_id: row.id,
        token_name: row.name,
        scopes: Scopes::from_stored(&row.scopes),
        user_id: row.user_id,
        user_name: row.display_name,
        role,
    }))
}
