//! Accounts on the web: setup, sign-in and out, sign-up, invitations, password reset, and the
//! signed-in user's own pages (profile, email, password, sessions, two-factor, API tokens,
//! deletion).

pub mod api_tokens;
pub mod invitations;
pub mod profile;
pub mod recovery;
pub mod security;
pub mod setup;
pub mod sign_in;
pub mod sign_up;
pub mod two_factor;
pub mod visit;

use rocket::Route;

use crate::db::Db;
use crate::db::throttle::{Attempt, Verdict};
use crate::db::tokens::{self, NewToken, Purpose, Token};
use crate::db::users::User;
use crate::domain::throttle::{self, Limit};
use crate::domain::{Timestamp, password, secrets};
use crate::mail::Mailer;
use crate::mail::messages::Content;
use crate::web::auth::ClientAddr;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::{Notice, private_meta};
use crate::web::view::{Meta, Site};

pub fn routes() -> Vec<Route> {
    [
        setup::routes(),
        sign_in::routes(),
        sign_up::routes(),
        invitations::routes(),
        recovery::routes(),
        profile::routes(),
        security::routes(),
        two_factor::routes(),
        api_tokens::routes(),
    ]
    .concat()
}

/// Said wherever a page promises mail and no SMTP server is configured.
pub const NO_MAIL: &str = "Note: this site cannot send mail yet, so the message was written to the \
    server's log instead. Ask the site's operator for the link.";

/// Hashes a password on the blocking pool: argon2 takes tens of milliseconds of CPU.
pub async fn hash_password(password: String) -> AppResult<String> {
    rocket::tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

/// Checks a password on the blocking pool (see [`password::verify`]).
pub async fn verify_password(password: String, stored: Option<String>) -> AppResult<password::Verdict> {
    rocket::tokio::task::spawn_blocking(move || password::verify(&password, stored.as_deref()))
        .await
        .map_err(AppError::internal)
}

/// Checks the password a signed-in user re-entered to confirm a sensitive change. Wrong answers
/// count as failed sign-ins, so a borrowed session cannot be used to guess the password.
pub async fn confirm_password(db: &Db, user: &User, input: &str, addr: &ClientAddr) -> AppResult<bool> {
    let limits = throttle::sign_in(&user.email, &addr.0);
    let attempt = count_attempt(db, &limits, crate::domain::now()).await?;
    let verdict = verify_password(input.to_owned(), user.password_hash.clone()).await?;
    if verdict == password::Verdict::Wrong {
        return Ok(false);
    }
    forgive(db, attempt).await?;
    Ok(true)
}

/// An account error that a handler has no message for: forbidden, or the database's.
pub fn account_error(e: crate::db::users::AccountError) -> AppError {
    match e {
        crate::db::users::AccountError::Db(e) => e.into(),
        crate::db::users::AccountError::SetupClosed => AppError::forbidden(),
        crate::db::users::AccountError::EmailTaken => AppError::internal("address taken"),
    }
}

/// Renders `content` for `to` and queues it in the outbox.
pub async fn send(db: &Db, mailer: &Mailer, content: &Content, to: &str) -> AppResult<()> {
    mailer.queue(db, content.to(to)?).await?;
    Ok(())
}

/// A page that only says something: "check your inbox", "this link has expired".
#[derive(askama::Template)]
#[template(path = "account/message.html")]
pub struct MessagePage<'a> {
    pub site: &'a Site,
    pub meta: Meta,
    pub notice: Option<Notice>,
    pub title: &'a str,
    pub paragraphs: Vec<String>,
    pub link: Option<(&'a str, &'a str)>,
}

impl<'a> MessagePage<'a> {
    pub fn new(site: &'a Site, path: &str, title: &'a str, paragraphs: &[&str]) -> MessagePage<'a> {
        MessagePage {
            meta: private_meta(site, title, path),
            site,
            notice: None,
            title,
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            link: None,
        }
    }

    pub fn link(mut self, label: &'a str, href: &'a str) -> MessagePage<'a> {
        self.link = Some((label, href));
        self
    }
}

/// A page with one button that makes a change: links in mail lead here, since a GET (which mail
/// scanners follow) must never change anything.
#[derive(askama::Template)]
#[template(path = "account/confirm.html")]
pub struct MailedLinkPage<'a> {
    pub site: &'a Site,
    pub meta: Meta,
    pub notice: Option<Notice>,
    pub csrf: String,
    pub title: &'a str,
    pub text: String,
    pub action: String,
    pub button: &'a str,
}

/// What a mailed link that is unknown, used or expired leads to.
pub fn dead_link<'a>(site: &'a Site, path: &str) -> MessagePage<'a> {
    MessagePage::new(
        site,
        path,
        "This link no longer works",
        &["It was already used, or it has expired. Links sent by mail work once, for a limited time."],
    )
}

/// Stores a new single-use link and returns its token, for the URL; only its digest is kept.
pub async fn issue_link(db: &Db, link: &NewToken<'_>) -> AppResult<String> {
    let token = secrets::token();
    tokens::create(db, &secrets::digest(&token), link, crate::domain::now()).await?;
    Ok(token)
}

/// The live link behind `token` (from a URL), left unused: for the page the link opens.
pub async fn peek_link(db: &Db, purpose: Purpose, token: &str) -> AppResult<Option<Token>> {
    // A malformed token never reaches the database.
    if !secrets::is_token(token) {
        return Ok(None);
    }
    Ok(tokens::peek(db, purpose, &secrets::digest(token), crate::domain::now()).await?)
}

/// Counts an attempt on every scope of `limits` before the work it asks for, or refuses with
/// 429 (and `Retry-After`) when a scope is at its limit; see [`crate::db::throttle::attempt`].
pub async fn count_attempt(db: &Db, limits: &[Limit], now: Timestamp) -> AppResult<Attempt> {
    match crate::db::throttle::attempt(db, limits, now).await? {
        Verdict::Counted(attempt) => Ok(attempt),
        Verdict::Refused(wait) => Err(AppError::TooManyRequests(wait)),
    }
}

/// Takes back an attempt that turned out not to count (a right password or code), so that
/// people signing in from one address (an office) never use up its limit.
pub async fn forgive(db: &Db, attempt: Attempt) -> AppResult<()> {
    Ok(crate::db::throttle::forgive(db, attempt).await?)
}
