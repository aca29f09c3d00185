//! Accepting an invitation: the link in the mail leads to a form for a name and a password;
//! the account gets the role the invitation names, and its address counts as confirmed.

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use super::visit::Visit;
use super::{dead_link, hash_password, peek_link};
use crate::db::FolioDb;
use crate::db::tokens::Purpose;
use crate::db::users::{self, AccountError, NewUser};
use crate::domain::accounts::display_name_rule;
use crate::domain::email::Email;
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::domain::{now, password, secrets};
use crate::web::auth::start_session;
use crate::web::csrf::CsrfToken;
use crate::web::error::AppResult;
use crate::web::form::Form;
use crate::web::forms::{Notice, form_fragment, invalid, private_meta, show};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done};
use crate::web::view::{Meta, Site, SiteRef};

#[derive(Template)]
#[template(path = "account/invitation.html", blocks = ["form"])]
pub struct AcceptPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    action: String,
    email: String,
    role: Role,
    display_name: String,
    errors: FieldErrors,
}

form_fragment!(AcceptPage);

#[derive(FromForm)]
pub struct AcceptForm {
    display_name: String,
    password: String,
}

#[get("/invite/<token>")]
async fn show_invitation(
    db: Connection<FolioDb>,
    site: SiteRef,
    csrf: CsrfToken,
    token: &str,
) -> AppResult<Html> {
    let action = format!("/invite/{token}");
    let live = peek_link(&db, Purpose::Invite, token).await?;
    let Some(invitation) = live else { return show(&dead_link(&site, &action)) };
    let role = invitation.role.as_deref().and_then(Role::parse).unwrap_or(Role::Member);
    show(&AcceptPage {
        meta: private_meta(&site, "Accept your invitation", &action),
        site: &site,
        notice: None,
        csrf: csrf.0,
        action,
        email: invitation.email,
        role,
        display_name: String::new(),
        errors: FieldErrors::new(),
    })
}

#[post("/invite/<token>", data = "<form>")]
async fn accept(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    token: &str,
    form: Form<AcceptForm>,
) -> AppResult<Answer> {
    let Visit { config, site, csrf, cookies, addr, agent, hx, .. } = visit;
    let action = format!("/invite/{token}");
    let Some(invitation) = peek_link(&db, Purpose::Invite, token).await? else {
        return Ok(show(&dead_link(&site, &action))?.into());
    };
    let role = invitation.role.as_deref().and_then(Role::parse).unwrap_or(Role::Member);
    let mut errors = FieldErrors::new();
    let display_name = errors.check("display_name", display_name_rule(&form.display_name));
    errors.check("password", password::check_new(&form.password));
    let email = Email::parse(&invitation.email);
    let (Some(display_name), Ok(email)) = (display_name.filter(|_| errors.is_empty()), email) else {
        let page = AcceptPage {
            meta: private_meta(&site, "Accept your invitation", &action),
            site: &site,
            notice: None,
            csrf: csrf.0,
            action,
            email: invitation.email,
            role,
            display_name: form.display_name.trim().to_owned(),
            errors,
        };
        return Ok(invalid(hx, &page)?.into());
    };
    let password_hash = hash_password(form.password.clone()).await?;
    let user = NewUser {
        email: &email,
        display_name: &display_name,
        role,
        password_hash: &password_hash,
        email_confirmed: true,
    };
    // Spending the invitation and creating the account are one step: if someone else spent it
    // meanwhile, the link is dead; if the account cannot be made, the invitation stays.
    let id = match users::accept_invitation(&db, &secrets::digest(token), &user, now()).await {
        Ok(Some(id)) => id,
        Ok(None) => return Ok(show(&dead_link(&site, &action))?.into()),
        Err(AccountError::EmailTaken) => {
            let page = super::MessagePage::new(
                &site,
                &action,
                "You already have an account",
                &["An account already uses this address. Sign in with it; an administrator can change its role."],
            )
            .link("Sign in", "/sign-in");
            return Ok(show(&page)?.into());
        }
        Err(AccountError::SetupClosed) => return Err(crate::web::error::AppError::forbidden()),
        Err(AccountError::Db(e)) => return Err(e.into()),
    };
    start_session(&db, config, cookies, id, agent.0, &addr).await?;
    let home = if role.is_staff() { "/admin" } else { "/account" };
    Ok(done(hx, home, format!("Welcome! You joined as {}.", role.label())))
}

pub fn routes() -> Vec<Route> {
    routes![show_invitation, accept]
}
