//! Two-factor sign-in with an authenticator app: set up by scanning a QR code (drawn on the
//! server as SVG) and entering a code; ten single-use recovery codes for a lost phone.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use super::confirm_password;
use super::visit::Visit;
use crate::config::Config;
use crate::db::FolioDb;
use crate::domain::validation::FieldErrors;
use crate::domain::{now, secrets, totp};
use crate::web::auth::{CurrentUser, SETUP_COOKIE, cookie, cookie_name};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{Notice, private_meta, show};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done, failed};
use crate::web::view::{Meta, Site};

const RECOVERY_CODES: usize = 10;
/// How long a secret shown for setup stays usable.
const SETUP_SECS: i64 = 900;

#[derive(Template)]
#[template(path = "account/two_factor.html")]
pub struct TwoFactorPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    current: &'a CurrentUser,
    /// Setting up: the secret, and its QR code as SVG markup.
    setup: Option<(String, String)>,
    codes_left: i64,
    may_disable: bool,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
pub struct CodesPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    current: &'a CurrentUser,
    codes: Vec<String>,
}

#[derive(FromForm)]
pub struct EnableForm {
    current_password: String,
    code: String,
}

#[derive(FromForm)]
pub struct PasswordOnly {
    current_password: String,
}

/// The secret being set up for `user_id`, kept in an encrypted cookie until a code proves the
/// app has it. The cookie names the account it is for: a secret set up by someone else on this
/// browser (a shared computer) is never offered or enrolled; sign-out removes it too.
fn setup_secret(config: &Config, cookies: &CookieJar<'_>, user_id: i64) -> String {
    let saved = cookies.get_private(&cookie_name(config, SETUP_COOKIE)).and_then(|c| {
        let (owner, secret) = c.value().split_once(':')?;
        (owner.parse() == Ok(user_id)).then(|| secret.to_owned())
    });
    if let Some(secret) = saved {
        return secret;
    }
    let secret = totp::new_secret();
    cookies.add_private(cookie(config, SETUP_COOKIE, format!("{user_id}:{secret}"), Some(SETUP_SECS)));
    secret
}

async fn render<'a>(
    db: &crate::db::Db,
    visit: &'a Visit<'_>,
    current: &'a CurrentUser,
    notice: Option<Notice>,
    errors: FieldErrors,
) -> AppResult<TwoFactorPage<'a>> {
    let (config, site) = (visit.config, &*visit.site);
    let csrf = visit.csrf.0.clone();
    let setup = if current.user.has_two_factor() {
        None
    } else {
        let secret = setup_secret(config, visit.cookies, current.user.id);
        let url = totp::setup_url(&secret, &site.title, &current.user.email)
            .ok_or_else(|| AppError::internal("cannot build the TOTP setup URL"))?;
        let svg = totp::qr_svg(&url).ok_or_else(|| AppError::internal("cannot draw the QR code"))?;
        Some((secret, svg))
    };
    let codes_left = crate::db::two_factor::recovery_codes_left(db, current.user.id).await?;
    let may_disable = !(config.settings.require_staff_two_factor && current.user.role.is_staff());
    Ok(TwoFactorPage {
        meta: private_meta(site, "Two-factor sign-in", "/account/two-factor"),
        site,
        notice,
        csrf,
        current,
        setup,
        codes_left,
        may_disable,
        errors,
    })
}

#[get("/account/two-factor?<required>")]
async fn status(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    current: CurrentUser,
    flash: Option<FlashMessage<'_>>,
    required: Option<&str>,
) -> AppResult<Html> {
    let notice = match (Notice::from_flash(flash), required) {
        (Some(notice), _) => Some(notice),
        (None, Some(_)) => Some(Notice {
            kind: "error".into(),
            message: "This site asks staff to turn on two-factor sign-in before using the admin.".into(),
        }),
        (None, None) => None,
    };
    let page = render(&db, &visit, &current, notice, FieldErrors::new()).await?;
    show(&page)
}

fn new_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| secrets::recovery_code()).collect();
    let hashes = codes.iter().map(|c| secrets::digest(c)).collect();
    (codes, hashes)
}

fn codes_page<'a>(
    site: &'a Site,
    csrf: String,
    current: &'a CurrentUser,
    codes: Vec<String>,
) -> CodesPage<'a> {
    CodesPage {
        meta: private_meta(site, "Your recovery codes", "/account/two-factor"),
        site,
        notice: Notice::success("Two-factor sign-in is on. Keep these codes somewhere safe."),
        csrf,
        current,
        codes,
    }
}

#[post("/account/two-factor/enable", data = "<form>")]
async fn enable(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    current: CurrentUser,
    form: Form<EnableForm>,
) -> AppResult<Answer> {
    let hx = visit.hx;
    if current.user.has_two_factor() {
        return Ok(failed(hx, "/account/two-factor", "Two-factor sign-in is already on."));
    }
    let secret = setup_secret(visit.config, visit.cookies, current.user.id);
    let mut errors = FieldErrors::new();
    if !confirm_password(&db, &current.user, &form.current_password, &visit.addr).await? {
        errors.add("current_password", "That is not your current password.");
    }
    let step = totp::verify(&secret, &form.code, now(), None);
    if step.is_none() {
        errors.add("code", "That code does not match. Check the time on your phone and try the next code.");
    }
    let Some(step) = step.filter(|_| errors.is_empty()) else {
        let page = render(&db, &visit, &current, None, errors).await?;
        return Ok(Html::page(&page)?.with_status(Status::UnprocessableEntity).into());
    };
    let (codes, hashes) = new_codes();
    crate::db::two_factor::enable_totp(&db, current.user.id, &secret, step, &hashes).await?;
    visit.cookies.remove_private(cookie(visit.config, SETUP_COOKIE, String::new(), None));
    Ok(show(&codes_page(&visit.site, visit.csrf.0, &current, codes))?.into())
}

#[post("/account/two-factor/disable", data = "<form>")]
async fn disable(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    current: CurrentUser,
    form: Form<PasswordOnly>,
) -> AppResult<Answer> {
    let hx = visit.hx;
    if visit.config.settings.require_staff_two_factor && current.user.role.is_staff() {
        return Err(AppError::forbidden());
    }
    if !confirm_password(&db, &current.user, &form.current_password, &visit.addr).await? {
        return Ok(failed(hx, "/account/two-factor", "That is not your current password; nothing changed."));
    }
    crate::db::two_factor::disable_totp(&db, current.user.id).await?;
    Ok(done(hx, "/account/two-factor", "Two-factor sign-in is off."))
}

#[post("/account/two-factor/recovery-codes", data = "<form>")]
async fn regenerate(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    current: CurrentUser,
    form: Form<PasswordOnly>,
) -> AppResult<Answer> {
    let hx = visit.hx;
    if !current.user.has_two_factor() {
        return Ok(failed(hx, "/account/two-factor", "Turn on two-factor sign-in first."));
    }
    if !confirm_password(&db, &current.user, &form.current_password, &visit.addr).await? {
        return Ok(failed(hx, "/account/two-factor", "That is not your current password; nothing changed."));
    }
    let (codes, hashes) = new_codes();
    crate::db::two_factor::replace_recovery_codes(&db, current.user.id, &hashes).await?;
    let mut page = codes_page(&visit.site, visit.csrf.0, &current, codes);
    page.notice = Notice::success("New recovery codes. The old ones no longer work.");
    Ok(show(&page)?.into())
}

pub fn routes() -> Vec<Route> {
    routes![status, enable, disable, regenerate]
}
