//! The signed-in user's credentials and sessions: change password, change email (confirmed by
//! mail to the new address), see and end sessions, delete the account.

use askama::Template;
use rocket::form::FromForm;
use rocket::request::FlashMessage;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use super::visit::Visit;
use super::{
    MailedLinkPage, account_error, confirm_password, count_attempt, dead_link, forgive, hash_password,
    issue_link, peek_link, send,
};
use crate::db::FolioDb;
use crate::db::links::{self, LinkUse};
use crate::db::sessions::{self, Session};
use crate::db::tokens::{NewToken, Purpose};
use crate::db::users::{self, AccountError};
use crate::domain::email::Email;
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::domain::{dates, now, password, secrets, throttle};
use crate::mail::messages;
use crate::web::auth::{CurrentUser, end_session};
use crate::web::csrf::CsrfToken;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{Notice, form_fragment, invalid, private_meta, show};
use crate::web::htmx::{Html, HxRequest};
use crate::web::redirect::{Answer, done, failed};
use crate::web::view::{Meta, Site, SiteRef};

const WRONG_PASSWORD: &str = "That is not your current password.";

/// Which credential form a [`CredentialPage`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Password,
    Email,
    Delete,
}

#[derive(Template)]
#[template(path = "account/credentials.html", blocks = ["form"])]
pub struct CredentialPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    current: &'a CurrentUser,
    which: Which,
    email: String,
    mail_configured: bool,
    errors: FieldErrors,
}

form_fragment!(CredentialPage);

impl Which {
    fn path(self) -> &'static str {
        match self {
            Which::Password => "/account/password",
            Which::Email => "/account/email",
            Which::Delete => "/account/delete",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Which::Password => "Change your password",
            Which::Email => "Change your email address",
            Which::Delete => "Delete your account",
        }
    }
}

fn page<'a>(
    visit: &'a Visit<'_>,
    current: &'a CurrentUser,
    which: Which,
    notice: Option<Notice>,
    email: String,
    errors: FieldErrors,
) -> CredentialPage<'a> {
    CredentialPage {
        meta: private_meta(&visit.site, which.title(), which.path()),
        site: &visit.site,
        notice,
        csrf: visit.csrf.0.clone(),
        current,
        which,
        email,
        mail_configured: visit.mailer.is_configured(),
        errors,
    }
}

#[derive(FromForm)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

#[derive(FromForm)]
pub struct EmailForm {
    email: String,
    current_password: String,
}

#[derive(FromForm)]
pub struct DeleteForm {
    current_password: String,
}

#[get("/account/password")]
fn password_form(visit: Visit<'_>, current: CurrentUser) -> AppResult<Html> {
    show(&page(&visit, &current, Which::Password, None, String::new(), FieldErrors::new()))
}

#[post("/account/password", data = "<form>")]
async fn change_password(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    current: CurrentUser,
    form: Form<PasswordForm>,
) -> AppResult<Answer> {
    let hx = visit.hx;
    let mut errors = FieldErrors::new();
    errors.check("new_password", password::check_new(&form.new_password));
    if form.new_password == form.current_password && errors.is_empty() {
        errors.add("new_password", "Choose a password different from the current one.");
    }
    if !confirm_password(&db, &current.user, &form.current_password, &visit.addr).await? {
        errors.add("current_password", WRONG_PASSWORD);
    }
    if !errors.is_empty() {
        let view = page(&visit, &current, Which::Password, None, String::new(), errors);
        return Ok(invalid(hx, &view)?.into());
    }
    let hash = hash_password(form.new_password.clone()).await?;
    users::set_password(&db, current.user.id, &hash, Some(&current.session.token_hash)).await?;
    send(&db, visit.mailer, &messages::password_changed(&visit.site.title), &current.user.email).await?;
    Ok(done(hx, "/account", "Your password is changed, and your other sessions are ended."))
}

#[get("/account/email")]
fn email_form(visit: Visit<'_>, current: CurrentUser, flash: Option<FlashMessage<'_>>) -> AppResult<Html> {
    let notice = Notice::from_flash(flash);
    show(&page(&visit, &current, Which::Email, notice, String::new(), FieldErrors::new()))
}

#[post("/account/email", data = "<form>")]
async fn request_email_change(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    current: CurrentUser,
    form: Form<EmailForm>,
) -> AppResult<Answer> {
    let hx = visit.hx;
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(&form.email));
    if email.as_ref().is_some_and(|e| e.as_str() == current.user.email) {
        errors.add("email", "That is already your address.");
    }
    let now = now();
    // Counted before the password hash and the mail; taken back below when nothing is sent.
    let attempt = match &email {
        Some(to) if errors.is_empty() => {
            let limits = throttle::email_change(current.user.id, to.as_str(), &visit.addr.0);
            Some(count_attempt(&db, &limits, now).await?)
        }
        _ => None,
    };
    let confirmed = confirm_password(&db, &current.user, &form.current_password, &visit.addr).await;
    if !matches!(confirmed, Ok(true))
        && let Some(attempt) = attempt
    {
        forgive(&db, attempt).await?;
    }
    if !confirmed? {
        errors.add("current_password", WRONG_PASSWORD);
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        let typed = form.email.trim().to_owned();
        let view = page(&visit, &current, Which::Email, None, typed, errors);
        return Ok(invalid(hx, &view)?.into());
    };
    let link = NewToken {
        purpose: Purpose::ChangeEmail,
        user_id: Some(current.user.id),
        email: email.as_str(),
        role: None,
        created_by: None,
        expires_at: now + messages::LINK_DAYS * 86_400,
    };
    let token = issue_link(&db, &link).await?;
    let url = visit.site.url(&format!("/account/email/{token}"));
    send(&db, visit.mailer, &messages::change_address(&visit.site.title, &url), email.as_str()).await?;
    let mut message = format!("We sent a link to {email}. Your address changes when you follow it.");
    if !visit.mailer.is_configured() {
        message = format!("{message} {}", super::NO_MAIL);
    }
    Ok(done(hx, "/account/email", message))
}

#[get("/account/email/<token>")]
async fn email_confirm_page(
    db: Connection<FolioDb>,
    site: SiteRef,
    csrf: CsrfToken,
    token: &str,
) -> AppResult<Html> {
    let path = format!("/account/email/{token}");
    let live = peek_link(&db, Purpose::ChangeEmail, token).await?;
    let Some(live) = live else { return show(&dead_link(&site, &path)) };
    show(&MailedLinkPage {
        meta: private_meta(&site, "Confirm your new address", &path),
        site: &site,
        notice: None,
        csrf: csrf.0,
        title: "Confirm your new address",
        text: format!("Make {} the address of your account?", live.email),
        action: path,
        button: "Use this address",
    })
}

#[post("/account/email/<token>")]
async fn confirm_email_change(db: Connection<FolioDb>, visit: Visit<'_>, token: &str) -> AppResult<Answer> {
    let hx = visit.hx;
    let path = format!("/account/email/{token}");
    let Some(live) = peek_link(&db, Purpose::ChangeEmail, token).await? else {
        return Ok(show(&dead_link(&visit.site, &path))?.into());
    };
    let Some(user) = users::find(&db, live.user_id.unwrap_or(0)).await? else {
        return Ok(show(&dead_link(&visit.site, &path))?.into());
    };
    let new_email = live.email;
    // Tell the old address, so a hijacked account does not change hands silently; the mail is
    // written with the change, and the link spent with both.
    let mail = messages::address_changed(&visit.site.title, &new_email).to(&user.email)?;
    let digest = secrets::digest(token);
    match links::spend(&db, &digest, LinkUse::ChangeEmail, Some(&mail), now()).await {
        Ok(Some(spent)) => {
            if let Some(id) = spent.mail_id {
                visit.mailer.queued(id, &mail);
            }
        }
        Ok(None) => return Ok(show(&dead_link(&visit.site, &path))?.into()),
        Err(AccountError::EmailTaken) => {
            return Ok(failed(
                hx,
                "/account/email",
                "Another account took that address meanwhile; nothing changed.",
            ));
        }
        Err(e) => return Err(account_error(e)),
    }
    Ok(done(hx, "/account", format!("Your address is now {new_email}.")))
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
pub struct SessionsPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    current: &'a CurrentUser,
    sessions: Vec<Session>,
}

impl SessionsPage<'_> {
    fn when(&self, at: &i64) -> String {
        dates::human(*at)
    }
}

#[get("/account/sessions")]
async fn list_sessions(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    current: CurrentUser,
    flash: Option<FlashMessage<'_>>,
) -> AppResult<Html> {
    let sessions =
        sessions::list_for_user(&db, current.user.id, now(), visit.config.settings.session_lifetimes())
            .await?;
    show(&SessionsPage {
        meta: private_meta(&visit.site, "Your sessions", "/account/sessions"),
        site: &visit.site,
        notice: Notice::from_flash(flash),
        csrf: visit.csrf.0,
        current: &current,
        sessions,
    })
}

#[derive(FromForm)]
pub struct EndForm {
    session: String,
}

#[post("/account/sessions/end", data = "<form>")]
async fn end_one(
    db: Connection<FolioDb>,
    current: CurrentUser,
    hx: HxRequest,
    form: Form<EndForm>,
) -> AppResult<Answer> {
    if form.session == current.session.token_hash {
        return Ok(failed(hx, "/account/sessions", "To end this session, sign out."));
    }
    if sessions::delete_for_user(&db, current.user.id, &form.session).await? {
        Ok(done(hx, "/account/sessions", "The session is ended."))
    } else {
        Ok(failed(hx, "/account/sessions", "That session had already ended."))
    }
}

#[post("/account/sessions/end-others")]
async fn end_others(db: Connection<FolioDb>, current: CurrentUser, hx: HxRequest) -> AppResult<Answer> {
    let ended = sessions::delete_others(&db, current.user.id, &current.session.token_hash).await?;
    Ok(done(hx, "/account/sessions", format!("Ended {ended} other session(s).")))
}

#[get("/account/delete")]
fn delete_form(visit: Visit<'_>, current: CurrentUser) -> AppResult<Html> {
    show(&page(&visit, &current, Which::Delete, None, String::new(), FieldErrors::new()))
}

#[post("/account/delete", data = "<form>")]
async fn delete(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    current: CurrentUser,
    form: Form<DeleteForm>,
) -> AppResult<Answer> {
    let hx = visit.hx;
    if current.role() == Role::Owner {
        return Err(AppError::forbidden());
    }
    if !confirm_password(&db, &current.user, &form.current_password, &visit.addr).await? {
        let mut errors = FieldErrors::new();
        errors.add("current_password", WRONG_PASSWORD);
        let view = page(&visit, &current, Which::Delete, None, String::new(), errors);
        return Ok(invalid(hx, &view)?.into());
    }
    let heir = users::owner_id(&db).await?.ok_or_else(|| AppError::internal("no owner to inherit posts"))?;
    end_session(&db, visit.config, visit.cookies, &current).await?;
    users::delete(&db, current.user.id, heir).await?;
    Ok(done(hx, "/", "Your account is deleted."))
}

pub fn routes() -> Vec<Route> {
    routes![
        password_form,
        change_password,
        email_form,
        request_email_change,
        email_confirm_page,
        confirm_email_change,
        list_sessions,
        end_one,
        end_others,
        delete_form,
        delete
    ]
}
