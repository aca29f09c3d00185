//! Member sign-up (when the site allows it) and confirmation of the address by mail.
//!
//! The answer to a sign-up never tells whether the address already had an account: both cases
//! say "check your inbox", and the mail says which it was. A member signs in once confirmed.

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use super::visit::Visit;
use super::{
    MailedLinkPage, MessagePage, account_error, count_attempt, dead_link, hash_password, issue_link,
    peek_link, send,
};
use crate::db::FolioDb;
use crate::db::links::{self, LinkUse, Spent};
use crate::db::tokens::{NewToken, Purpose};
use crate::db::users::{self, AccountError, NewUser};
use crate::domain::accounts::{SignupMode, display_name_rule};
use crate::domain::email::Email;
use crate::domain::form_stamp::Verdict;
use crate::domain::roles::Role;
use crate::domain::site_settings::CommentPolicy;
use crate::domain::validation::FieldErrors;
use crate::domain::{now, password, secrets, throttle};
use crate::mail::{Mailer, messages};
use crate::web::auth::start_session;
use crate::web::csrf::CsrfToken;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{Notice, form_fragment, invalid, private_meta, show};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, SeeOther, done};
use crate::web::stamp::Stamper;
use crate::web::view::{Meta, Site, SiteRef};

#[derive(Template)]
#[template(path = "account/sign_up.html", blocks = ["form"])]
pub struct SignUpPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    mode: SignupMode,
    form: SignUpForm,
    errors: FieldErrors,
    /// The form's stamp ([`crate::domain::form_stamp`]): handed out now, checked on submit.
    stamp: String,
}

form_fragment!(SignUpPage);

/// `stamp` and the honeypot `website` keep out bots (the complaint Ghost's users raise most
/// about member sign-up): the same defence as the comment form.
#[derive(Debug, Clone, Default, FromForm)]
pub struct SignUpForm {
    display_name: String,
    email: String,
    password: String,
    #[field(default = String::new())]
    stamp: String,
    #[field(default = String::new())]
    website: String,
}

/// The stamp purpose of the sign-up form.
const STAMP: &str = "sign-up";

#[get("/sign-up")]
fn new(site: SiteRef, csrf: CsrfToken, stamper: Stamper) -> AppResult<Html> {
    let page = SignUpPage {
        meta: private_meta(&site, "Create an account", "/sign-up"),
        site: &site,
        notice: None,
        csrf: csrf.0,
        mode: site.signup,
        form: <SignUpForm as Default>::default(),
        errors: FieldErrors::new(),
        stamp: stamper.issue(STAMP),
    };
    show(&page)
}

#[post("/sign-up", data = "<form>")]
async fn create(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    form: Form<SignUpForm>,
) -> AppResult<Answer> {
    let Visit { mailer, site, csrf, addr, hx, .. } = visit;
    if site.signup != SignupMode::Open {
        return Err(AppError::forbidden());
    }
    let form = form.into_inner();
    // A bot that filled the honeypot is told what everyone is told, and nothing is sent.
    if !form.website.is_empty() {
        return Ok(SeeOther::to(hx, "/sign-up/check-inbox").into());
    }
    let mut errors = FieldErrors::new();
    match stamper.check(STAMP, &form.stamp) {
        Verdict::Fine => {}
        Verdict::TooFast => errors.add(
            "display_name",
            "That was quicker than anyone can type. Check the form, then send it again.",
        ),
        Verdict::Expired | Verdict::Forged => {
            errors.add("display_name", "This form had expired. Send it again.")
        }
    }
    let display_name = errors.check("display_name", display_name_rule(&form.display_name));
    let email = errors.check("email", Email::parse(&form.email));
    errors.check("password", password::check_new(&form.password));
    let (display_name, email) = match (display_name, email) {
        (Some(display_name), Some(email)) if errors.is_empty() => (display_name, email),
        _ => {
            let page = SignUpPage {
                meta: private_meta(&site, "Create an account", "/sign-up"),
                site: &site,
                notice: None,
                csrf: csrf.0,
                mode: site.signup,
                stamp: stamper.kept_or_fresh(STAMP, &form.stamp),
                form: SignUpForm { password: String::new(), ..form },
                errors,
            };
            return Ok(invalid(hx, &page)?.into());
        }
    };
    let now = now();
    // Counted before the hash and the mail, per client and per recipient, known or not.
    count_attempt(&db, &throttle::sign_up(email.as_str(), &addr.0), now).await?;
    // Hash in both cases, so the answer takes as long whether or not the address is known.
    let hash = hash_password(form.password.clone()).await?;
    let member = NewUser {
        email: &email,
        display_name: &display_name,
        role: Role::Member,
        password_hash: &hash,
        email_confirmed: false,
    };
    let created = match users::create(&db, &member, now).await {
        Err(AccountError::EmailTaken) => users::take_over_unconfirmed(&db, &email, &display_name, &hash)
            .await?
            .ok_or(AccountError::EmailTaken),
        other => other,
    };
    match created {
        Ok(id) => {
            let link = NewToken {
                purpose: Purpose::Confirm,
                user_id: Some(id),
                email: email.as_str(),
                role: None,
                created_by: None,
                expires_at: now + messages::LINK_DAYS * 86_400,
            };
            let token = issue_link(&db, &link).await?;
            let url = site.url(&format!("/confirm/{token}"));
            send(&db, mailer, &messages::confirm_address(&site.title, &url), email.as_str()).await?;
        }
        Err(AccountError::EmailTaken) => {
            let content = messages::already_registered(&site.title, &site.url("/sign-in"));
            send(&db, mailer, &content, email.as_str()).await?;
        }
        Err(AccountError::SetupClosed) => return Err(AppError::forbidden()),
        Err(AccountError::Db(e)) => return Err(e.into()),
    }
    Ok(SeeOther::to(hx, "/sign-up/check-inbox").into())
}

#[get("/sign-up/check-inbox")]
fn check_inbox(site: SiteRef, mailer: &State<Mailer>) -> AppResult<Html> {
    let mut paragraphs = vec!["We sent a message to the address you gave. Follow its link to finish."];
    if !mailer.is_configured() {
        paragraphs.push(super::NO_MAIL);
    }
    show(&MessagePage::new(&site, "/sign-up/check-inbox", "Check your inbox", &paragraphs))
}

#[get("/confirm/<token>")]
async fn confirm_page(
    db: Connection<FolioDb>,
    site: SiteRef,
    csrf: CsrfToken,
    token: &str,
) -> AppResult<Html> {
    let path = format!("/confirm/{token}");
    let live = peek_link(&db, Purpose::Confirm, token).await?;
    let Some(live) = live else { return show(&dead_link(&site, &path)) };
    show(&MailedLinkPage {
        meta: private_meta(&site, "Confirm your address", &path),
        site: &site,
        notice: None,
        csrf: csrf.0,
        title: "Confirm your address",
        text: format!("Confirm that {} is your address to finish creating your account.", live.email),
        action: path,
        button: "Confirm and sign in",
    })
}

#[post("/confirm/<token>")]
async fn confirm(db: Connection<FolioDb>, visit: Visit<'_>, token: &str) -> AppResult<Answer> {
    let Visit { config, site, cookies, addr, agent, hx, .. } = visit;
    let spent = if secrets::is_token(token) {
        links::spend(&db, &secrets::digest(token), LinkUse::Confirm, None, now())
            .await
            .map_err(account_error)?
    } else {
        None
    };
    let Some(Spent { user_id, .. }) = spent else {
        return Ok(show(&dead_link(&site, &format!("/confirm/{token}")))?.into());
    };
    start_session(&db, config, cookies, user_id, agent.0, &addr).await?;
    Ok(done(hx, "/account", "Your address is confirmed. Welcome!"))
}

pub fn routes() -> Vec<Route> {
    routes![new, create, check_inbox, confirm_page, confirm]
}
