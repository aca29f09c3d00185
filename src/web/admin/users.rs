//! Staff management: the user list, invitations by mail, role changes and the transfer of
//! ownership. Admins manage everyone but the owner; only the owner hands ownership on.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::request::FlashMessage;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use crate::db::tokens::{self, NewToken, Purpose};
use crate::db::users::{self, User};
use crate::db::{Db, FolioDb};
use crate::domain::email::Email;
use crate::domain::roles::{Action, Role};
use crate::domain::validation::FieldErrors;
use crate::domain::{dates, now};
use crate::error::{AppError, AppResult};
use crate::mail::{Mailer, messages};
use crate::web::account::{NO_MAIL, issue_link, send};
use crate::web::auth::Staff;
use crate::web::csrf::CsrfToken;
use crate::web::forms::{Answer, Notice, done, failed, form_fragment, invalid, private_meta, show};
use crate::web::htmx::{Html, HxRequest};
use crate::web::view::{Meta, Site, SiteRef};

#[derive(Template)]
#[template(path = "admin/users/index.html", blocks = ["form"])]
pub struct UsersPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    staff: &'a Staff,
    users: Vec<User>,
    invitations: Vec<(String, String, i64)>,
    invite_email: String,
    invite_role: String,
    errors: FieldErrors,
    mail_configured: bool,
}

form_fragment!(UsersPage);

impl UsersPage<'_> {
    fn me(&self) -> Role {
        self.staff.0.user.role
    }

    /// Roles the signed-in user may hand out through invitations and role changes.
    fn assignable(&self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| self.me().may_assign(Role::Member, *r)).collect()
    }

    fn may_change(&self, user: &User) -> bool {
        user.id != self.staff.0.user.id && self.me().may_manage(user.role)
    }

    fn may_receive_ownership(&self, user: &User) -> bool {
        self.me() == Role::Owner
            && user.id != self.staff.0.user.id
            && user.role.is_staff()
            && user.disabled_at.is_none()
    }

    fn until(&self, at: &i64) -> String {
        dates::human(*at)
    }
}

#[allow(clippy::too_many_arguments)]
async fn page<'a>(
    db: &Db,
    site: &'a Site,
    csrf: String,
    staff: &'a Staff,
    mailer: &Mailer,
    notice: Option<Notice>,
    invite: (String, String),
    errors: FieldErrors,
) -> AppResult<UsersPage<'a>> {
    Ok(UsersPage {
        meta: private_meta(site, "Users", "/admin/users"),
        site,
        notice,
        csrf,
        staff,
        users: users::list(db).await?,
        invitations: tokens::pending_invitations(db, now()).await?,
        invite_email: invite.0,
        invite_role: invite.1,
        errors,
        mail_configured: mailer.is_configured(),
    })
}

#[get("/admin/users")]
async fn index(
    db: Connection<FolioDb>,
    mailer: &State<Mailer>,
    site: SiteRef,
    csrf: CsrfToken,
    staff: Staff,
    flash: Option<FlashMessage<'_>>,
) -> AppResult<Html> {
    staff.0.require(Action::ManageUsers)?;
    let notice = Notice::from_flash(flash);
    let invite = (String::new(), Role::Author.as_str().to_owned());
    show(&page(&db, &site, csrf.0, &staff, mailer, notice, invite, FieldErrors::new()).await?)
}

#[derive(FromForm)]
pub struct InviteForm {
    email: String,
    role: String,
}

#[allow(clippy::too_many_arguments)]
#[post("/admin/users/invite", data = "<form>")]
async fn invite(
    db: Connection<FolioDb>,
    mailer: &State<Mailer>,
    site: SiteRef,
    csrf: CsrfToken,
    staff: Staff,
    hx: HxRequest,
    form: Form<InviteForm>,
) -> AppResult<Answer> {
    staff.0.require(Action::ManageUsers)?;
    let me = staff.0.user.role;
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(&form.email));
    let role = Role::parse(&form.role).filter(|r| me.may_assign(Role::Member, *r));
    if role.is_none() {
        errors.add("role", "Choose one of the roles offered.");
    }
    let (Some(email), Some(role)) = (email.filter(|_| errors.is_empty()), role) else {
        let invite = (form.email.trim().to_owned(), form.role.clone());
        let view = page(&db, &site, csrf.0, &staff, mailer, None, invite, errors).await?;
        return Ok(invalid(hx, &view)?.into());
    };
    let now = now();
    let link = NewToken {
        purpose: Purpose::Invite,
        user_id: None,
        email: email.as_str(),
        role: Some(role.as_str()),
        created_by: Some(staff.0.user.id),
        expires_at: now + messages::LINK_DAYS * 86_400,
    };
    let token = issue_link(&db, &link).await?;
    let url = site.url(&format!("/invite/{token}"));
    let content = messages::invitation(&site.title, &staff.0.user.display_name, role.label(), &url);
    send(&db, mailer, &content, email.as_str()).await?;
    let mut message = format!("Invitation sent to {email}.");
    if !mailer.is_configured() {
        message = format!("{message} {NO_MAIL}");
    }
    Ok(done(hx, "/admin/users", message))
}

#[derive(FromForm)]
pub struct RoleForm {
    role: String,
}

#[post("/admin/users/<id>/role", data = "<form>")]
async fn change_role(
    db: Connection<FolioDb>,
    staff: Staff,
    hx: HxRequest,
    id: i64,
    form: Form<RoleForm>,
) -> AppResult<Answer> {
    staff.0.require(Action::ManageUsers)?;
    let target = users::find(&db, id).await?.ok_or_else(AppError::not_found)?;
    let Some(role) = Role::parse(&form.role) else {
        return Ok(failed(hx, "/admin/users", "Choose one of the roles offered."));
    };
    if target.id == staff.0.user.id || !staff.0.user.role.may_assign(target.role, role) {
        return Err(AppError::forbidden());
    }
    users::set_role(&db, id, role).await?;
    Ok(done(hx, "/admin/users", format!("{} is now {}.", target.display_name, role.label())))
}

#[post("/admin/users/<id>/ownership")]
async fn transfer(db: Connection<FolioDb>, staff: Staff, hx: HxRequest, id: i64) -> AppResult<Answer> {
    staff.0.require(Action::TransferOwnership)?;
    let target = users::find(&db, id).await?.ok_or_else(AppError::not_found)?;
    if target.id == staff.0.user.id || !target.role.is_staff() || target.disabled_at.is_some() {
        return Ok(failed(hx, "/admin/users", "Ownership can only go to another active member of staff."));
    }
    if !users::transfer_ownership(&db, staff.0.user.id, id).await? {
        return Ok(failed(hx, "/admin/users", "Ownership could not be transferred; nothing changed."));
    }
    Ok(done(
        hx,
        "/admin/users",
        format!("{} now owns the site; you are an administrator.", target.display_name),
    ))
}

pub fn routes() -> Vec<Route> {
    routes![index, invite, change_role, transfer]
}
