//! The signed-in user's profile: name, bio, avatar, and (for writers) mail about comments.

use askama::Template;
use rocket::form::FromForm;
use rocket::request::FlashMessage;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use super::visit::Visit;
use crate::db::{FolioDb, users};
use crate::domain::accounts::Profile;
use crate::domain::roles::Action;
use crate::domain::validation::FieldErrors;
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfToken;
use crate::web::error::AppResult;
use crate::web::form::Form;
use crate::web::forms::{Notice, form_fragment, invalid, private_meta, show};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done};
use crate::web::view::{Meta, Site, SiteRef};

#[derive(Template)]
#[template(path = "account/profile.html", blocks = ["form"])]
pub struct ProfilePage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    current: &'a CurrentUser,
    form: ProfileForm,
    errors: FieldErrors,
}

form_fragment!(ProfilePage);

#[derive(Debug, Clone, FromForm)]
pub struct ProfileForm {
    display_name: String,
    bio: String,
    avatar_url: String,
    /// Mail me about new comments on my posts (staff who write only).
    #[field(default = false)]
    notify_comments: bool,
}

#[get("/account")]
async fn edit(
    db: Connection<FolioDb>,
    site: SiteRef,
    csrf: CsrfToken,
    current: CurrentUser,
    flash: Option<FlashMessage<'_>>,
) -> AppResult<Html> {
    let user = &current.user;
    let form = ProfileForm {
        display_name: user.display_name.clone(),
        bio: user.bio.clone(),
        avatar_url: user.avatar_url.clone(),
        notify_comments: users::comment_notices(&db, user.id).await?,
    };
    show(&ProfilePage {
        meta: private_meta(&site, "Your account", "/account"),
        site: &site,
        notice: Notice::from_flash(flash),
        csrf: csrf.0,
        current: &current,
        form,
        errors: FieldErrors::new(),
    })
}

#[post("/account", data = "<form>")]
async fn update(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    current: CurrentUser,
    form: Form<ProfileForm>,
) -> AppResult<Answer> {
    let Visit { site, csrf, hx, .. } = visit;
    match Profile::parse(&form.display_name, &form.bio, &form.avatar_url) {
        Ok(profile) => {
            users::update_profile(&db, current.user.id, &profile).await?;
            if current.user.role.can(Action::WriteOwnPosts) {
                users::set_comment_notices(&db, current.user.id, form.notify_comments).await?;
            }
            Ok(done(hx, "/account", "Your profile is saved."))
        }
        Err(errors) => {
            let page = ProfilePage {
                meta: private_meta(&site, "Your account", "/account"),
                site: &site,
                notice: None,
                csrf: csrf.0,
                current: &current,
                form: form.into_inner(),
                errors,
            };
            Ok(invalid(hx, &page)?.into())
        }
    }
}

pub fn routes() -> Vec<Route> {
    routes![edit, update]
}
