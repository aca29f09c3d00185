//! Password reset by mail. The request gives the same answer whether or not the address has an
//! account; the link works once, for an hour; using it ends every session of the account.

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use super::visit::Visit;
use super::{
    MessagePage, account_error, count_attempt, dead_link, hash_password, issue_link, peek_link, send,
};
use crate::db::links::{self, LinkUse};
use crate::db::tokens::{NewToken, Purpose};
use crate::db::{Db, FolioDb, users};
use crate::domain::email::Email;
use crate::domain::validation::FieldErrors;
use crate::domain::{Timestamp, now, password, secrets, throttle};
use crate::mail::{Mailer, messages};
use crate::web::csrf::CsrfToken;
use crate::web::error::AppResult;
use crate::web::form::Form;
use crate::web::forms::{Notice, form_fragment, invalid, private_meta, show};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, SeeOther, done};
use crate::web::view::{Meta, Site, SiteRef};

#[derive(Template)]
#[template(path = "account/reset_request.html", blocks = ["form"])]
pub struct RequestPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    email: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "account/reset_choose.html", blocks = ["form"])]
pub struct ChoosePage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    action: String,
    errors: FieldErrors,
}

form_fragment!(RequestPage, ChoosePage);

#[derive(FromForm)]
pub struct RequestForm {
    email: String,
}

#[derive(FromForm)]
pub struct ChooseForm {
    password: String,
}

#[get("/password-reset")]
fn new(site: SiteRef, csrf: CsrfToken) -> AppResult<Html> {
    let meta = private_meta(&site, "Reset your password", "/password-reset");
    show(&RequestPage {
        site: &site,
        meta,
        notice: None,
        csrf: csrf.0,
        email: String::new(),
        errors: FieldErrors::new(),
    })
}

#[post("/password-reset", data = "<form>")]
async fn create(db: Connection<FolioDb>, visit: Visit<'_>, form: Form<RequestForm>) -> AppResult<Answer> {
    let Visit { mailer, site, csrf, addr, hx, .. } = visit;
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let mut errors = FieldErrors::new();
            errors.add("email", e.to_string());
            let meta = private_meta(&site, "Reset your password", "/password-reset");
            let email = form.email.trim().to_owned();
            let page = RequestPage { site: &site, meta, notice: None, csrf: csrf.0, email, errors };
            return Ok(invalid(hx, &page)?.into());
        }
    };
    let now = now();
    // Every request counts, found or not, so the limit says nothing about the address either.
    count_attempt(&db, &throttle::reset(email.as_str(), &addr.0), now).await?;
    // The answer leaves now, whatever the address: finding the account and writing its link and
    // mail happen after it, so the time to answer says nothing about whether the address has an
    // account. (Done first, the writes made a known address answer 0.8 ms slower.)
    let (db, mailer, site) = (Db::clone(&db), Mailer::clone(mailer), site);
    rocket::tokio::spawn(async move {
        if let Err(e) = mail_reset_link(&db, &mailer, &site, &email, now).await {
            rocket::error!("could not send a password reset link: {e:?}");
        }
    });
    Ok(SeeOther::to(hx, "/password-reset/sent").into())
}

/// Mails a reset link to the active account using `email`, if there is one.
async fn mail_reset_link(
    db: &Db,
    mailer: &Mailer,
    site: &Site,
    email: &Email,
    now: Timestamp,
) -> AppResult<()> {
    let Some(user) = users::find_by_email(db, email).await?.filter(|u| u.disabled_at.is_none()) else {
        return Ok(());
    };
    let link = NewToken {
        purpose: Purpose::Reset,
        user_id: Some(user.id),
        email: &user.email,
        role: None,
        created_by: None,
        expires_at: now + messages::RESET_HOURS * 3600,
    };
    let token = issue_link(db, &link).await?;
    let url = site.url(&format!("/password-reset/{token}"));
    send(db, mailer, &messages::password_reset(&site.title, &url), &user.email).await
}

#[get("/password-reset/sent")]
fn sent(site: SiteRef, mailer: &State<Mailer>) -> AppResult<Html> {
    let mut paragraphs = vec![
        "If an account uses that address, a message with a link to choose a new password is on its way.",
    ];
    if !mailer.is_configured() {
        paragraphs.push(super::NO_MAIL);
    }
    show(&MessagePage::new(&site, "/password-reset/sent", "Check your inbox", &paragraphs))
}

#[get("/password-reset/<token>", rank = 2)]
async fn choose(db: Connection<FolioDb>, site: SiteRef, csrf: CsrfToken, token: &str) -> AppResult<Html> {
    let action = format!("/password-reset/{token}");
    let live = peek_link(&db, Purpose::Reset, token).await?;
    if live.is_none() {
        return show(&dead_link(&site, &action));
    }
    let meta = private_meta(&site, "Choose a new password", &action);
    show(&ChoosePage { site: &site, meta, notice: None, csrf: csrf.0, action, errors: FieldErrors::new() })
}

#[post("/password-reset/<token>", data = "<form>")]
async fn update(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    token: &str,
    form: Form<ChooseForm>,
) -> AppResult<Answer> {
    let Visit { mailer, site, csrf, hx, .. } = visit;
    let action = format!("/password-reset/{token}");
    if let Err(e) = password::check_new(&form.password) {
        let mut errors = FieldErrors::new();
        errors.add("password", e.to_string());
        let meta = private_meta(&site, "Choose a new password", &action);
        return Ok(invalid(
            hx,
            &ChoosePage { site: &site, meta, notice: None, csrf: csrf.0, action, errors },
        )?
        .into());
    }
    let Some(live) = peek_link(&db, Purpose::Reset, token).await? else {
        return Ok(show(&dead_link(&site, &action))?.into());
    };
    let hash = hash_password(form.password.clone()).await?;
    let mail = messages::password_changed(&site.title).to(&live.email)?;
    // The link is spent with the change and the mail that reports it; the address is confirmed
    // too, since the link reached it.
    let reset = LinkUse::Reset { password_hash: &hash };
    let spent =
        links::spend(&db, &secrets::digest(token), reset, Some(&mail), now()).await.map_err(account_error)?;
    let Some(spent) = spent else { return Ok(show(&dead_link(&site, &action))?.into()) };
    if let Some(id) = spent.mail_id {
        mailer.queued(id, &mail);
    }
    // No session here: an account with two-factor sign-in must still pass its second step.
    Ok(done(hx, "/sign-in", "Your password is changed. Sign in with it now."))
}

pub fn routes() -> Vec<Route> {
    routes![new, create, sent, choose, update]
}
