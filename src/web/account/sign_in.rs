//! Signing in (password, then a code when two-factor sign-in is on) and signing out.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use super::visit::Visit;
use super::{count_attempt, forgive, verify_password};
use crate::config::Config;
use crate::db::{FolioDb, throttle, users};
use crate::domain::email::Email;
use crate::domain::password::Verdict;
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::domain::{now, secrets, throttle as limits, totp};
use crate::web::auth::{ClientAddr, CurrentUser, PendingSignIn, end_session, start_session};
use crate::web::csrf::CsrfToken;
use crate::web::error::AppResult;
use crate::web::form::Form;
use crate::web::forms::{Notice, form_fragment, invalid, private_meta, show};
use crate::web::htmx::HxRequest;
use crate::web::redirect::{Answer, SeeOther, done, failed, next_or};
use crate::web::view::{Meta, Site, SiteRef};

/// The same words whether the address is unknown, the password wrong or the account disabled.
const WRONG: &str = "That email and password do not match an account.";

#[derive(Template)]
#[template(path = "account/sign_in.html", blocks = ["form"])]
pub struct SignInPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    email: String,
    next: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "account/two_factor_step.html", blocks = ["form"])]
pub struct CodePage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    errors: FieldErrors,
}

form_fragment!(SignInPage, CodePage);

impl<'a> SignInPage<'a> {
    fn new(site: &'a Site, csrf: String, email: String, next: String, errors: FieldErrors) -> SignInPage<'a> {
        let meta = private_meta(site, "Sign in", "/sign-in");
        SignInPage { site, meta, notice: None, csrf, email, next, errors }
    }
}

impl<'a> CodePage<'a> {
    fn new(site: &'a Site, csrf: String, errors: FieldErrors) -> CodePage<'a> {
        let meta = private_meta(site, "Two-factor sign-in", "/sign-in/two-factor");
        CodePage { site, meta, notice: None, csrf, errors }
    }
}

#[derive(FromForm)]
pub struct SignInForm {
    email: String,
    password: String,
    next: String,
}

#[derive(FromForm)]
pub struct CodeForm {
    code: String,
}

#[get("/sign-in?<next>")]
fn new(
    site: SiteRef,
    csrf: CsrfToken,
    current: Option<CurrentUser>,
    flash: Option<FlashMessage<'_>>,
    next: Option<&str>,
) -> AppResult<Answer> {
    let next = next_or(next.unwrap_or(""), "");
    if let Some(current) = current {
        return Ok(SeeOther::to(HxRequest::PAGE, landing(next, current.user.role)).into());
    }
    let mut page = SignInPage::new(&site, csrf.0, String::new(), next, FieldErrors::new());
    page.notice = Notice::from_flash(flash);
    Ok(show(&page)?.into())
}

#[post("/sign-in", data = "<form>")]
async fn create(db: Connection<FolioDb>, visit: Visit<'_>, form: Form<SignInForm>) -> AppResult<Answer> {
    let Visit { config, site, csrf, cookies, addr, agent, hx, .. } = visit;
    // Empty until the user is known: where to land without a `next` depends on the role.
    let next = next_or(&form.next, "");
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(&form.email));
    if form.password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    let rerender = |errors: FieldErrors| {
        let page = SignInPage::new(&site, csrf.0.clone(), form.email.trim().to_owned(), next.clone(), errors);
        Ok(invalid(hx, &page)?.into())
    };
    let Some(email) = email.filter(|_| errors.is_empty()) else { return rerender(errors) };
    let now = now();
    let limits = limits::sign_in(email.as_str(), &addr.0);
    // Counted before the password is checked, so parallel guesses cannot all pass the limit.
    let attempt = count_attempt(&db, &limits, now).await?;
    let user = users::find_by_email(&db, &email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let verdict = verify_password(form.password.clone(), stored).await?;
    let user = match user {
        Some(user) if verdict != Verdict::Wrong && user.disabled_at.is_none() && may_sign_in(&user) => user,
        _ => {
            let mut errors = FieldErrors::new();
            errors.add("password", WRONG);
            return rerender(errors);
        }
    };
    forgive(&db, attempt).await?;
    throttle::clear(&db, &limits[0].0).await?;
    let next = landing(next, user.role);
    if verdict == Verdict::RightNeedsRehash {
        let fresh = super::hash_password(form.password.clone()).await?;
        users::rehash_password(&db, user.id, &fresh).await?;
    }
    if user.has_two_factor() {
        PendingSignIn { user_id: user.id, next }.store(config, cookies);
        return Ok(SeeOther::to(hx, "/sign-in/two-factor").into());
    }
    start_session(&db, config, cookies, user.id, agent.0, &addr).await?;
    Ok(SeeOther::to(hx, next).into())
}

/// Where a sign-in leads: the local `next` asked for, else staff to the admin and members to
/// their account.
fn landing(next: String, role: Role) -> String {
    match (next.is_empty(), role.is_staff()) {
        (false, _) => next,
        (true, true) => "/admin".to_owned(),
        (true, false) => "/account".to_owned(),
    }
}

/// Members sign in once they have confirmed their address; staff were invited by mail, or set
/// up from the shell, so theirs is known to work.
fn may_sign_in(user: &users::User) -> bool {
    user.role.is_staff() || user.email_confirmed_at.is_some()
}

#[get("/sign-in/two-factor")]
fn code(
    config: &State<Config>,
    site: SiteRef,
    csrf: CsrfToken,
    cookies: &CookieJar<'_>,
) -> AppResult<Answer> {
    if PendingSignIn::load(config, cookies, now()).is_none() {
        return Ok(expired());
    }
    Ok(show(&CodePage::new(&site, csrf.0, FieldErrors::new()))?.into())
}

fn expired() -> Answer {
    failed(HxRequest::PAGE, "/sign-in", "That sign-in took too long. Please start again.")
}

#[post("/sign-in/two-factor", data = "<form>")]
async fn verify_code(db: Connection<FolioDb>, visit: Visit<'_>, form: Form<CodeForm>) -> AppResult<Answer> {
    let Visit { config, site, csrf, cookies, addr, agent, hx, .. } = visit;
    let now = now();
    let Some(pending) = PendingSignIn::load(config, cookies, now) else { return Ok(expired()) };
    let Some(user) = users::find(&db, pending.user_id).await?.filter(|u| u.disabled_at.is_none()) else {
        return Ok(expired());
    };
    // Codes have a count of their own, which a right password does not clear.
    let limits = limits::second_factor(user.id, &addr.0);
    let attempt = count_attempt(&db, &limits, now).await?;
    if !code_accepted(&db, &user, &form.code, now).await? {
        let mut errors = FieldErrors::new();
        errors.add("code", "That code is not right, or was already used. Try the next one.");
        return Ok(invalid(hx, &CodePage::new(&site, csrf.0, errors))?.into());
    }
    forgive(&db, attempt).await?;
    throttle::clear(&db, &limits[0].0).await?;
    PendingSignIn::clear(config, cookies);
    start_session(&db, config, cookies, user.id, agent.0, &addr).await?;
    Ok(SeeOther::to(hx, pending.next).into())
}

/// A current authenticator code (each usable once), or one of the recovery codes (each usable
/// once, then gone).
/// Checks a second-factor code (or a recovery code) that a signed-in user gave to confirm a
/// sensitive change, on the same count as the sign-in step: wrong codes count, a right one
/// clears the count.
pub async fn confirm_code(
    db: &crate::db::Db,
    user: &users::User,
    input: &str,
    addr: &ClientAddr,
) -> AppResult<bool> {
    let now = now();
    let limits = limits::second_factor(user.id, &addr.0);
    let attempt = count_attempt(db, &limits, now).await?;
    if !code_accepted(db, user, input, now).await? {
        return Ok(false);
    }
    forgive(db, attempt).await?;
    throttle::clear(db, &limits[0].0).await?;
    Ok(true)
}

async fn code_accepted(db: &crate::db::Db, user: &users::User, input: &str, now: i64) -> AppResult<bool> {
    let Some(secret) = &user.totp_secret else { return Ok(false) };
    if let Some(step) = totp::verify(secret, input, now, user.totp_last_step) {
        return Ok(crate::db::two_factor::use_totp_step(db, user.id, step).await?);
    }
    let code = secrets::normalise_recovery_code(input);
    if code.len() != 14 {
        return Ok(false);
    }
    Ok(crate::db::two_factor::use_recovery_code(db, user.id, &secrets::digest(&code)).await?)
}

#[post("/sign-out")]
async fn sign_out(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    current: Option<CurrentUser>,
) -> AppResult<Answer> {
    let Visit { config, cookies, hx, .. } = visit;
    if let Some(current) = current {
        end_session(&db, config, cookies, &current).await?;
    }
    Ok(done(hx, "/sign-in", "You are signed out."))
}

/// The `User-Agent` header, for the list of sessions.
pub struct UserAgent<'r>(pub &'r str);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for UserAgent<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, Self::Error> {
        rocket::request::Outcome::Success(UserAgent(req.headers().get_one("User-Agent").unwrap_or("")))
    }
}

pub fn routes() -> Vec<Route> {
    routes![new, create, code, verify_code, sign_out]
}
