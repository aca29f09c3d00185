//! First start: the first visitor creates the owner account and names the site. Once an owner
//! exists the page is gone (404) for good.

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use super::hash_password;
use super::visit::Visit;
use crate::db::users::{self, AccountError, NewUser};
use crate::db::{FolioDb, settings};
use crate::domain::accounts::display_name_rule;
use crate::domain::email::Email;
use crate::domain::roles::Role;
use crate::domain::validation::{FieldErrors, short_text};
use crate::domain::{now, password};
use crate::web::auth::start_session;
use crate::web::csrf::CsrfToken;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{Notice, form_fragment, invalid, private_meta, show};
use crate::web::redirect::{Answer, SeeOther};
use crate::web::view::{LiveSite, Meta, Site, SiteRef};

#[derive(Template)]
#[template(path = "account/setup.html", blocks = ["form"])]
pub struct SetupPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    form: SetupForm,
    errors: FieldErrors,
}

form_fragment!(SetupPage);

#[derive(Debug, Clone, Default, FromForm)]
pub struct SetupForm {
    site_title: String,
    display_name: String,
    email: String,
    password: String,
}

/// The setup form's values, checked.
struct Owner {
    site_title: String,
    display_name: String,
    email: Email,
}

fn validate(form: &SetupForm) -> Result<Owner, FieldErrors> {
    let mut errors = FieldErrors::new();
    let site_title = errors.check("site_title", short_text(&form.site_title, 120, "a site title"));
    let display_name = errors.check("display_name", display_name_rule(&form.display_name));
    let email = errors.check("email", Email::parse(&form.email));
    errors.check("password", password::check_new(&form.password));
    match (site_title, display_name, email) {
        (Some(site_title), Some(display_name), Some(email)) if errors.is_empty() => {
            Ok(Owner { site_title, display_name, email })
        }
        _ => Err(errors),
    }
}

#[get("/setup")]
async fn new(db: Connection<FolioDb>, site: SiteRef, csrf: CsrfToken) -> AppResult<Answer> {
    if users::owner_exists(&db).await? {
        return Err(AppError::not_found());
    }
    let form = SetupForm { site_title: site.title.clone(), ..<SetupForm as Default>::default() };
    let page = SetupPage {
        meta: private_meta(&site, "Set up your site", "/setup"),
        site: &site,
        notice: None,
        csrf: csrf.0,
        form,
        errors: FieldErrors::new(),
    };
    Ok(show(&page)?.into())
}

#[post("/setup", data = "<form>")]
async fn create(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    live: &State<LiveSite>,
    form: Form<SetupForm>,
) -> AppResult<Answer> {
    let Visit { config, site, csrf, cookies, addr, agent, hx, .. } = visit;
    if users::owner_exists(&db).await? {
        return Err(AppError::not_found());
    }
    let form = form.into_inner();
    let rerender = |form: SetupForm, errors: FieldErrors| -> AppResult<Answer> {
        let meta = private_meta(&site, "Set up your site", "/setup");
        let form = SetupForm { password: String::new(), ..form };
        Ok(invalid(hx, &SetupPage { site: &site, meta, notice: None, csrf: csrf.0.clone(), form, errors })?
            .into())
    };
    let owner = match validate(&form) {
        Ok(owner) => owner,
        Err(errors) => return rerender(form, errors),
    };
    let hash = hash_password(form.password.clone()).await?;
    let new_user = NewUser {
        email: &owner.email,
        display_name: &owner.display_name,
        role: Role::Owner,
        password_hash: &hash,
        email_confirmed: true,
    };
    let id = match users::create_owner(&db, &new_user, &owner.site_title, now()).await {
        Ok(id) => id,
        Err(AccountError::SetupClosed) => return Err(AppError::not_found()),
        Err(AccountError::EmailTaken) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "email",
                "An account already uses this address (a demo author, perhaps); choose another.",
            );
            return rerender(form, errors);
        }
        Err(AccountError::Db(e)) => return Err(e.into()),
    };
    live.apply(&settings::all(&db).await?);
    start_session(&db, config, cookies, id, agent.0, &addr).await?;
    Ok(SeeOther::to(hx, "/admin").into())
}

pub fn routes() -> Vec<Route> {
    routes![new, create]
}
