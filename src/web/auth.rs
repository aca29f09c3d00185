//! Who is asking: the session cookie, the signed-in user, and the client's address.
//!
//! A session is a database row keyed by the SHA-256 of a random 256-bit token that only the
//! browser holds, in a cookie that is HttpOnly and SameSite=Lax, and `Secure` with the `__Host-`
//! prefix when the site is served over HTTPS. The row is loaded once per request and cached.

use std::net::IpAddr;

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::time::Duration;

use crate::config::Config;
use crate::db::sessions::{self, NewSession, Session};
use crate::db::users::User;
use crate::db::{Db, FolioDb};
use crate::domain::roles::{Action, Role};
use crate::domain::{Timestamp, now, secrets};
use crate::web::error::{AppError, AppResult};

/// Seconds between writes of a session's last-seen time: enough for the idle timeout, and it
/// spares a write on every page view.
const TOUCH_EVERY: i64 = 60;

/// A cookie's name: `__Host-` prefixed over HTTPS, which browsers only accept with `Secure`,
/// `Path=/` and no `Domain`, so a sibling subdomain cannot plant or overwrite it.
pub fn cookie_name(config: &Config, base: &'static str) -> String {
    if config.settings.https() { format!("__Host-{base}") } else { base.to_owned() }
}

/// A cookie with Folio's flags.
pub fn cookie(config: &Config, base: &'static str, value: String, max_age: Option<i64>) -> Cookie<'static> {
    let mut cookie = Cookie::build((cookie_name(config, base), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.settings.https())
        .build();
    if let Some(seconds) = max_age {
        cookie.set_max_age(Duration::seconds(seconds));
    }
    cookie
}

/// The request's session and user, if it carries a live one. Loaded once, then cached.
#[derive(Debug, Clone)]
pub struct Visitor(pub Option<(Session, User)>);

impl Visitor {
    pub async fn of<'r>(req: &'r Request<'_>) -> &'r Visitor {
        let visitor = req.local_cache_async(async { Visitor(load(req).await) }).await;
        if visitor.0.is_some() {
            crate::web::headers::PerVisitor::mark(req);
        }
        visitor
    }
}

async fn load(req: &Request<'_>) -> Option<(Session, User)> {
    // A request with a bearer token skipped the CSRF check, so its cookies must not sign it in:
    // otherwise `Authorization: Bearer x` plus a session cookie would make any form forgeable.
    if bearer_token(req).is_some() {
        return None;
    }
    let config = req.rocket().state::<Config>()?;
    let token = req.cookies().get(&cookie_name(config, "folio_session"))?.value().to_owned();
    if !secrets::is_token(&token) {
        return None;
    }
    let db = db_of(req)?;
    let hash = secrets::digest(&token);
    let now = now();
    match sessions::find_live(db, &hash, now, config.settings.session_lifetimes()).await {
        Ok(Some((session, user))) => {
            if session.last_seen_at < now - TOUCH_EVERY
                && let Err(e) = sessions::touch(db, &hash, now).await
            {
                rocket::warn!("could not record session activity: {e}");
            }
            Some((session, user))
        }
        Ok(None) => None,
        Err(e) => {
            rocket::error!("session lookup failed: {e}");
            None
        }
    }
}

/// The credentials of an `Authorization: Bearer <token>` header (RFC 6750, section 2.1; the
/// scheme is case-insensitive, RFC 9110 section 11.1), trimmed; `None` without one. What they
/// are worth is for the API's guard to say (`web::api::auth`).
pub fn bearer_token<'r>(req: &'r Request<'_>) -> Option<&'r str> {
    let value = req.headers().get_one("Authorization")?.trim_start();
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("Bearer").then(|| credentials.trim())
}

pub fn db_of<'r>(req: &'r Request<'_>) -> Option<&'r Db> {
    use rocket_db_pools::Database;
    FolioDb::fetch(req.rocket()).map(|db| &**db)
}

/// A signed-in user. Routes that take it answer 401 to everyone else, and the 401 catcher sends
/// browsers to the sign-in page with `?next=` set to where they were going.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub session: Session,
}

impl CurrentUser {
    /// Refuses (403) unless the role allows `action`.
    pub fn require(&self, action: Action) -> AppResult<()> {
        if self.user.role.can(action) { Ok(()) } else { Err(AppError::forbidden()) }
    }

    pub fn role(&self) -> Role {
        self.user.role
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match &Visitor::of(req).await.0 {
            Some((session, user)) => {
                request::Outcome::Success(CurrentUser { user: user.clone(), session: session.clone() })
            }
            None => request::Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

/// A signed-in member of staff (anyone who may use the admin). Others get 403; when the site
/// requires two-factor sign-in for staff and this user has not turned it on, 428 sends them to
/// set it up first.
#[derive(Debug, Clone)]
pub struct Staff(pub CurrentUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Staff {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let current = match CurrentUser::from_request(req).await {
            request::Outcome::Success(current) => current,
            request::Outcome::Error(e) => return request::Outcome::Error(e),
            request::Outcome::Forward(s) => return request::Outcome::Forward(s),
        };
        if !current.user.role.can(Action::UseAdmin) {
            return request::Outcome::Error((Status::Forbidden, ()));
        }
        let required = req.rocket().state::<Config>().is_some_and(|c| c.settings.require_staff_two_factor);
        if required && !current.user.has_two_factor() {
            return request::Outcome::Error((Status::PreconditionRequired, ()));
        }
        request::Outcome::Success(Staff(current))
    }
}

/// The client's address: the connection's peer, or, when `client_ip_header` is configured, the
/// address the trusted proxy put in that header. Rocket's own `X-Real-IP` handling is off, since
/// any client could send that header.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddr {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let header =
            req.rocket().state::<Config>().map(|c| c.settings.client_ip_header.as_str()).unwrap_or("");
        let from_proxy = (!header.is_empty())
            .then(|| req.headers().get(header).last())
            .flatten()
            // The proxy appends the address it saw; earlier entries came from the client.
            .and_then(|value| value.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok());
        let addr = from_proxy.or_else(|| req.remote().map(|r| r.ip()));
        request::Outcome::Success(ClientAddr(addr.map(|a| a.to_string()).unwrap_or_default()))
    }
}

/// Starts a session for `user_id` and sets its cookie.
pub async fn start_session(
    db: &Db,
    config: &Config,
    cookies: &CookieJar<'_>,
    user_id: i64,
    user_agent: &str,
    addr: &ClientAddr,
) -> AppResult<()> {
    let token = secrets::token();
    let hash = secrets::digest(&token);
    let csrf = secrets::token();
    let agent: String = user_agent.chars().filter(|c| !c.is_control()).take(200).collect();
    let session = NewSession {
        token_hash: &hash,
        user_id,
        csrf_token: &csrf,
        user_agent: &agent,
        client_addr: &addr.0,
    };
    sessions::create(db, &session, now()).await?;
    cookies.add(cookie(config, "folio_session", token, Some(config.settings.session_max_age)));
    Ok(())
}

/// Ends the current session, if any, and removes its cookie.
pub async fn end_session(
    db: &Db,
    config: &Config,
    cookies: &CookieJar<'_>,
    current: &CurrentUser,
) -> AppResult<()> {
    sessions::delete(db, &current.session.token_hash).await?;
    cookies.remove(cookie(config, "folio_session", String::new(), None));
    // A two-factor secret half set up stays with the person who began it.
    cookies.remove_private(cookie(config, SETUP_COOKIE, String::new(), None));
    Ok(())
}

/// The encrypted cookie that holds a two-factor secret being set up (`USER_ID:SECRET`).
pub const SETUP_COOKIE: &str = "folio_totp";

/// The pending second step of a sign-in: the password was right, the code is still to come.
/// Kept in an encrypted cookie (Rocket's private cookies) for five minutes.
pub struct PendingSignIn {
    pub user_id: i64,
    pub next: String,
}

const PENDING_SECS: i64 = 300;

impl PendingSignIn {
    pub fn store(&self, config: &Config, cookies: &CookieJar<'_>) {
        let value = format!("{}|{}|{}", self.user_id, now() + PENDING_SECS, self.next);
        cookies.add_private(cookie(config, "folio_2fa", value, Some(PENDING_SECS)));
    }

    pub fn load(config: &Config, cookies: &CookieJar<'_>, at: Timestamp) -> Option<PendingSignIn> {
        let cookie = cookies.get_private(&cookie_name(config, "folio_2fa"))?;
        let mut parts = cookie.value().splitn(3, '|');
        let user_id = parts.next()?.parse().ok()?;
        let expires: i64 = parts.next()?.parse().ok()?;
        let next = parts.next()?.to_owned();
        (expires > at).then_some(PendingSignIn { user_id, next })
    }

    pub fn clear(config: &Config, cookies: &CookieJar<'_>) {
        cookies.remove_private(cookie(config, "folio_2fa", String::new(), None));
    }
}
