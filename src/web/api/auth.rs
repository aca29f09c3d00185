//! [`ApiToken`]: the request guard of the API. It authenticates a personal access token sent as
//! `Authorization: Bearer <secret>` (RFC 6750, section 2.1) and nothing else: the session cookie
//! never authenticates an API request, so a page on another site that makes a browser send its
//! cookies cannot call the API. Such requests skip the CSRF check ([`crate::web::csrf`]) for the
//! same reason: browsers never add an `Authorization` header to a cross-site request themselves.

use rocket::http::Status;
use rocket::request::{self, FromRequest, Request};
use rocket_db_pools::Database;

use super::problem::{self, Problem, met};
use crate::db::FolioDb;
use crate::db::api_tokens::{self, Authenticated};
use crate::db::throttle::{self, Verdict};
use crate::domain::api_tokens::{Scope, Scopes};
use crate::domain::clock::Clock;
use crate::domain::roles::{Action, Role};
use crate::domain::{Timestamp, throttle as limits};
use crate::web::auth::bearer_token;
use crate::web::error::AppError;
use crate::web::headers::PerVisitor;
use crate::web::writing::Writer;

/// The challenge for a request without credentials: no error code (RFC 6750, section 3.1).
const CHALLENGE: &str = r#"Bearer realm="folio""#;

/// The person and token behind an API request. Routes that take it answer every other request
/// with a problem (RFC 9457) through the `/api` catchers:
/// - no `Authorization: Bearer` header: 401 with `WWW-Authenticate: Bearer realm="folio"`;
/// - a token that is unknown, revoked or expired, or whose owner is disabled or no longer staff:
///   401 with `error="invalid_token"` (RFC 6750, section 3.1);
/// - more than [`limits::PER_API_TOKEN`] requests in its window: 429 with `Retry-After`;
/// - the database busy: 503 with `Retry-After`.
///
/// A route then asks [`ApiToken::require`] for the scope it needs (403 without it).
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub token_id: i64,
    pub token_name: String,
    pub scopes: Scopes,
    pub user_id: i64,
    /// The owner's display name.
    pub user_name: String,
    /// The owner's role now, which every action is still checked against (`domain::roles`).
    pub role: Role,
}

impl ApiToken {
    /// `Ok` when the token's scopes cover `scope` ([`Scopes::allows`]); otherwise 403 with
    /// `WWW-Authenticate: Bearer error="insufficient_scope"` naming the scope needed
    /// (RFC 6750, section 3.1).
    pub fn require(&self, scope: Scope) -> Result<(), Box<Problem>> {
        if self.scopes.allows(scope) {
            return Ok(());
        }
        let detail = format!("This token lacks the `{scope}` scope, which this request needs.");
        Err(Box::new(
            Problem::new(Status::Forbidden, detail)
                .challenge(format!(r#"Bearer realm="folio", error="insufficient_scope", scope="{scope}""#)),
        ))
    }
}

impl ApiToken {
    /// The token's owner as the writer of a change: judged by the same role rules as in the
    /// admin, and named with the token in the audit log.
    pub fn writer(&self) -> Writer {
        Writer {
            user_id: self.user_id,
            role: self.role,
            name: self.user_name.clone(),
            token: Some(self.token_name.clone()),
        }
    }

    /// [`ApiToken::require`] for `scope`, then the role's `action` (403 without either).
    pub fn writer_for(&self, scope: Scope, action: Action) -> Result<Writer, Box<Problem>> {
        self.require(scope)?;
        let writer = self.writer();
        if writer.can(action) {
            return Ok(writer);
        }
        Err(Box::new(Problem::new(
            Status::Forbidden,
            format!("The token's owner is {} here, which does not allow this.", article(self.role)),
        )))
    }
}

/// "an Administrator", "a Contributor".
fn article(role: Role) -> String {
    let label = role.label();
    let vowel = label.starts_with(['A', 'E', 'I', 'O', 'U']);
    format!("{} {label}", if vowel { "an" } else { "a" })
}

impl From<Authenticated> for ApiToken {
    fn from(a: Authenticated) -> ApiToken {
        ApiToken {
            token_id: a.token_id,
            token_name: a.token_name,
            scopes: a.scopes,
            user_id: a.user_id,
            user_name: a.user_name,
            role: a.role,
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiToken {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        // The answer is this token's own: no shared cache may keep it (RFC 9111, section 3.5).
        PerVisitor::mark(req);
        match authenticate(req).await {
            Ok(token) => request::Outcome::Success(token),
            Err(problem) => {
                let status = Status::from_code(problem.status).unwrap_or(Status::InternalServerError);
                met(req, problem);
                request::Outcome::Error((status, ()))
            }
        }
    }
}

async fn authenticate(req: &Request<'_>) -> Result<ApiToken, Problem> {
    let Some(secret) = bearer_token(req) else {
        return Err(Problem::new(
            Status::Unauthorized,
            "Send a personal access token as `Authorization: Bearer <token>`; create one at /account/tokens.",
        )
        .challenge(CHALLENGE));
    };
    let db = FolioDb::fetch(req.rocket())
        .ok_or_else(|| Problem::new(Status::InternalServerError, "the database is not attached"))?;
    let now: Timestamp = req.rocket().state::<Clock>().map_or_else(crate::domain::now, Clock::now);
    let found = api_tokens::authenticate(db, secret, now).await.map_err(database)?;
    let Some(found) = found else {
        return Err(Problem::new(
            Status::Unauthorized,
            "The token is unknown, revoked or expired, or its owner's account cannot use the API.",
        )
        .challenge(format!(r#"{CHALLENGE}, error="invalid_token""#)));
    };
    // Counted per token in the database, so several processes share one count.
    match throttle::attempt(db, &limits::api_token(found.token_id), now).await.map_err(database)? {
        Verdict::Counted(_) => Ok(ApiToken::from(found)),
        Verdict::Refused(wait) => Err(Problem::new(
            Status::TooManyRequests,
            format!(
                "This token made more than {} requests in {} seconds; try again in {wait} seconds.",
                limits::PER_API_TOKEN.limit,
                limits::PER_API_TOKEN.window
            ),
        )
        .retry_after(wait)),
    }
}

/// A database error as a problem, mapped as every [`AppError`] is: 503 with `Retry-After` when
/// the database is busy or its storage full or read-only (saying which), else 500. The cause is
/// for the log, not for the client.
fn database(e: sqlx::Error) -> Problem {
    rocket::error!("API token lookup failed: {e}");
    problem::of(&AppError::Database(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_scope_is_403_naming_it() {
        let token = ApiToken {
            token_id: 1,
            token_name: "CI".into(),
            scopes: Scopes::new([Scope::Read]),
            user_id: 2,
            user_name: "Ann".into(),
            role: Role::Editor,
        };
        assert!(token.require(Scope::Read).is_ok());
        let refused = token.require(Scope::Posts).err();
        let refused = refused.as_ref();
        assert_eq!(refused.map(|p| p.status), Some(403));
        assert_eq!(
            refused.and_then(|p| p.www_authenticate.as_deref()),
            Some(r#"Bearer realm="folio", error="insufficient_scope", scope="posts""#)
        );
        let admin = ApiToken { scopes: Scopes::new([Scope::Admin]), ..token };
        assert!(admin.require(Scope::Media).is_ok());
    }
}
