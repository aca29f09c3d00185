//! Staff management: the user list, invitations by mail, role changes, disabling, deletion with a
//! choice of who inherits the posts, and the transfer of ownership. Admins manage everyone but the
//! owner; only the owner hands ownership on.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use crate::db::tokens::{self, NewToken, Purpose};
use crate::db::users::{self, User};
use crate::db::{Db, FolioDb};
use crate::domain::email::Email;
use crate::domain::roles::{Action, Role};
use crate::domain::validation::FieldErrors;
use crate::domain::{dates, now};
use crate::mail::{Mailer, messages};
use crate::web::account::sign_in::confirm_code;
use crate::web::account::{NO_MAIL, confirm_password, issue_link, send};
use crate::web::admin::{Desk, Shell};
use crate::web::auth::ClientAddr;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{form_fragment, invalid};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done, failed};
use crate::web::view::{Meta, Site};

#[derive(Template)]
#[template(path = "admin/users/index.html", blocks = ["form"])]
pub struct UsersPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    me: &'a User,
    users: Vec<User>,
    invitations: Vec<(String, String, i64)>,
    invite_email: String,
    invite_role: String,
    errors: FieldErrors,
    mail_configured: bool,
}

form_fragment!(UsersPage);

impl UsersPage<'_> {
    fn role(&self) -> Role {
        self.me.role
    }

    /// Roles the signed-in user may hand out through invitations and role changes.
    fn assignable(&self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| self.role().may_assign(Role::Member, *r)).collect()
    }

    fn may_change(&self, user: &User) -> bool {
        user.id != self.me.id && self.role().may_manage(user.role)
    }

    fn may_receive_ownership(&self, user: &User) -> bool {
        self.role() == Role::Owner
            && user.id != self.me.id
            && user.role.is_staff()
            && user.disabled_at.is_none()
    }

    fn until(&self, at: &i64) -> String {
        dates::human(*at)
    }
}

async fn page<'a>(
    db: &Db,
    desk: &'a Desk,
    mailer: &Mailer,
    invite: (String, String),
    errors: FieldErrors,
) -> AppResult<UsersPage<'a>> {
    let (meta, shell) = desk.frame("users", "Users", "/admin/users");
    Ok(UsersPage {
        site: &desk.site,
        meta,
        shell,
        me: desk.user(),
        users: users::list(db).await?,
        invitations: tokens::pending_invitations(db, now()).await?,
        invite_email: invite.0,
        invite_role: invite.1,
        errors,
        mail_configured: mailer.is_configured(),
    })
}

#[get("/admin/users")]
async fn index(db: Connection<FolioDb>, mailer: &State<Mailer>, desk: Desk) -> AppResult<Html> {
    desk.require(Action::ManageUsers)?;
    let invite = (String::new(), Role::Author.as_str().to_owned());
    Html::page(&page(&db, &desk, mailer, invite, FieldErrors::new()).await?)
}

#[derive(FromForm)]
pub struct InviteForm {
    email: String,
    role: String,
}

#[post("/admin/users/invite", data = "<form>")]
async fn invite(
    db: Connection<FolioDb>,
    mailer: &State<Mailer>,
    desk: Desk,
    form: Form<InviteForm>,
) -> AppResult<Answer> {
    desk.require(Action::ManageUsers)?;
    let me = desk.user().role;
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(&form.email));
    let role = Role::parse(&form.role).filter(|r| me.may_assign(Role::Member, *r));
    if role.is_none() {
        errors.add("role", "Choose one of the roles offered.");
    }
    let (Some(email), Some(role)) = (email.filter(|_| errors.is_empty()), role) else {
        let invite = (form.email.trim().to_owned(), form.role.clone());
        let view = page(&db, &desk, mailer, invite, errors).await?;
        return Ok(invalid(desk.hx, &view)?.into());
    };
    let now = now();
    let link = NewToken {
        purpose: Purpose::Invite,
        user_id: None,
        email: email.as_str(),
        role: Some(role.as_str()),
        created_by: Some(desk.user().id),
        expires_at: now + messages::LINK_DAYS * 86_400,
    };
    let token = issue_link(&db, &link).await?;
    let url = desk.site.url(&format!("/invite/{token}"));
    let content = messages::invitation(&desk.site.title, &desk.user().display_name, role.label(), &url);
    send(&db, mailer, &content, email.as_str()).await?;
    desk.audit(&db, "invited", email.as_str(), role.label()).await?;
    let mut message = format!("Invitation sent to {email}.");
    if !mailer.is_configured() {
        message = format!("{message} {NO_MAIL}");
    }
    Ok(done(desk.hx, "/admin/users", message))
}

/// The account `id`, if this user may manage it (never themselves, never the owner).
async fn manageable(db: &Db, desk: &Desk, id: i64) -> AppResult<User> {
    desk.require(Action::ManageUsers)?;
    let target = users::find(db, id).await?.ok_or_else(AppError::not_found)?;
    if target.id == desk.user().id || !desk.user().role.may_manage(target.role) {
        return Err(AppError::forbidden());
    }
    Ok(target)
}

#[derive(FromForm)]
pub struct RoleForm {
    role: String,
}

#[derive(FromForm)]
pub struct RevokeForm {
    email: String,
}

#[post("/admin/users/invitations/revoke", data = "<form>")]
async fn revoke(db: Connection<FolioDb>, desk: Desk, form: Form<RevokeForm>) -> AppResult<Answer> {
    desk.require(Action::ManageUsers)?;
    let email = form.email.trim();
    if tokens::revoke_invitations(&db, email).await? == 0 {
        return Ok(failed(desk.hx, "/admin/users", "That invitation was already used, revoked or expired."));
    }
    desk.audit(&db, "revoked the invitation of", email, "").await?;
    Ok(done(desk.hx, "/admin/users", format!("The invitation to {email} no longer works.")))
}

#[post("/admin/users/<id>/role", data = "<form>")]
async fn change_role(
    db: Connection<FolioDb>,
    desk: Desk,
    id: i64,
    form: Form<RoleForm>,
) -> AppResult<Answer> {
    let target = manageable(&db, &desk, id).await?;
    let Some(role) = Role::parse(&form.role) else {
        return Ok(failed(desk.hx, "/admin/users", "Choose one of the roles offered."));
    };
    if !desk.user().role.may_assign(target.role, role) {
        return Err(AppError::forbidden());
    }
    users::set_role(&db, id, role).await?;
    desk.audit(&db, "changed the role of", &target.display_name, role.label()).await?;
    Ok(done(desk.hx, "/admin/users", format!("{} is now {}.", target.display_name, role.label())))
}

#[derive(FromForm)]
pub struct DisableForm {
    disabled: bool,
}

/// Disabling ends every session of the account at once; enabling lets it sign in again.
#[post("/admin/users/<id>/disabled", data = "<form>")]
async fn set_disabled(
    db: Connection<FolioDb>,
    desk: Desk,
    id: i64,
    form: Form<DisableForm>,
) -> AppResult<Answer> {
    let target = manageable(&db, &desk, id).await?;
    users::set_disabled(&db, id, form.disabled, now()).await?;
    let (verb, message) = if form.disabled {
        ("disabled", format!("{} is disabled and signed out everywhere.", target.display_name))
    } else {
        ("enabled", format!("{} can sign in again.", target.display_name))
    };
    desk.audit(&db, verb, &target.display_name, "").await?;
    Ok(done(desk.hx, "/admin/users", message))
}

/// "Hand on ownership?": the owner's password, and a code when two-factor sign-in is on, so a
/// stolen session cannot make someone else the owner.
#[derive(Template)]
#[template(path = "admin/users/ownership.html")]
pub struct OwnershipPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    target: User,
    needs_code: bool,
    errors: FieldErrors,
}

#[derive(FromForm)]
pub struct TransferForm {
    #[field(default = String::new())]
    current_password: String,
    #[field(default = String::new())]
    code: String,
}

/// The person who may receive ownership from this owner: another active member of staff.
async fn heir_to_ownership(db: &Db, desk: &Desk, id: i64) -> AppResult<Option<User>> {
    desk.require(Action::TransferOwnership)?;
    let target = users::find(db, id).await?.ok_or_else(AppError::not_found)?;
    let eligible = target.id != desk.user().id && target.role.is_staff() && target.disabled_at.is_none();
    Ok(eligible.then_some(target))
}

fn ownership_page(desk: &Desk, target: User, errors: FieldErrors) -> OwnershipPage<'_> {
    let (meta, shell) =
        desk.frame("users", "Hand on ownership", &format!("/admin/users/{}/ownership", target.id));
    OwnershipPage { site: &desk.site, meta, shell, needs_code: desk.user().has_two_factor(), target, errors }
}

const NOT_AN_HEIR: &str = "Ownership can only go to another active member of staff.";

#[get("/admin/users/<id>/ownership")]
async fn confirm_transfer(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Answer> {
    let Some(target) = heir_to_ownership(&db, &desk, id).await? else {
        return Ok(failed(desk.hx, "/admin/users", NOT_AN_HEIR));
    };
    Ok(Html::page(&ownership_page(&desk, target, FieldErrors::new()))?.into())
}

#[post("/admin/users/<id>/ownership", data = "<form>")]
async fn transfer(
    db: Connection<FolioDb>,
    desk: Desk,
    addr: ClientAddr,
    id: i64,
    form: Form<TransferForm>,
) -> AppResult<Answer> {
    let Some(target) = heir_to_ownership(&db, &desk, id).await? else {
        return Ok(failed(desk.hx, "/admin/users", NOT_AN_HEIR));
    };
    let me = desk.user();
    let mut errors = FieldErrors::new();
    if !confirm_password(&db, me, &form.current_password, &addr).await? {
        errors.add("current_password", "That is not your current password.");
    } else if me.has_two_factor() && !confirm_code(&db, me, &form.code, &addr).await? {
        errors.add("code", "That code is not right, or was already used. Try the next one.");
    }
    if !errors.is_empty() {
        return Ok(Html::page(&ownership_page(&desk, target, errors))?
            .with_status(Status::UnprocessableEntity)
            .into());
    }
    if !users::transfer_ownership(&db, desk.user().id, id).await? {
        return Ok(failed(desk.hx, "/admin/users", "Ownership could not be transferred; nothing changed."));
    }
    desk.audit(&db, "transferred ownership to", &target.display_name, "").await?;
    Ok(done(
        desk.hx,
        "/admin/users",
        format!("{} now owns the site; you are an administrator.", target.display_name),
    ))
}

#[derive(Template)]
#[template(path = "admin/users/delete.html")]
pub struct DeletePage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    target: User,
    heirs: Vec<(i64, String)>,
    error: Option<String>,
}

async fn heirs(db: &Db, target: i64) -> AppResult<Vec<(i64, String)>> {
    Ok(users::staff_names(db).await?.into_iter().filter(|(id, _)| *id != target).collect())
}

#[get("/admin/users/<id>/delete")]
async fn confirm_delete(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    let target = manageable(&db, &desk, id).await?;
    let (meta, shell) = desk.frame("users", "Delete user", &format!("/admin/users/{id}/delete"));
    let heirs = heirs(&db, id).await?;
    Html::page(&DeletePage { site: &desk.site, meta, shell, target, heirs, error: None })
}

#[derive(FromForm)]
pub struct DeleteForm {
    #[field(default = String::new())]
    heir: String,
}

#[post("/admin/users/<id>/delete", data = "<form>")]
async fn delete(db: Connection<FolioDb>, desk: Desk, id: i64, form: Form<DeleteForm>) -> AppResult<Answer> {
    let target = manageable(&db, &desk, id).await?;
    let heirs = heirs(&db, id).await?;
    let heir =
        form.heir.trim().parse::<i64>().ok().and_then(|h| heirs.iter().find(|(id, _)| *id == h).cloned());
    let Some((heir_id, heir_name)) = heir else {
        let (meta, shell) = desk.frame("users", "Delete user", &format!("/admin/users/{id}/delete"));
        let error = Some("Choose who receives their posts and pages.".to_owned());
        let view = DeletePage { site: &desk.site, meta, shell, target, heirs, error };
        return Ok(Html::page(&view)?.with_status(rocket::http::Status::UnprocessableEntity).into());
    };
    users::delete(&db, id, heir_id).await?;
    desk.audit(&db, "deleted the account of", &target.display_name, &format!("posts went to {heir_name}"))
        .await?;
    Ok(done(
        desk.hx,
        "/admin/users",
        format!(
            "Deleted {}'s account; their posts and pages now belong to {heir_name}.",
            target.display_name
        ),
    ))
}

pub fn routes() -> Vec<Route> {
    routes![
        index,
        invite,
        revoke,
        change_role,
        set_disabled,
        confirm_transfer,
        transfer,
        confirm_delete,
        delete
    ]
}
