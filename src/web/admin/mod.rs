//! The admin: staff only (the [`Staff`] guard), each action further limited by role.

pub mod users;

use askama::Template;
use rocket::request::FlashMessage;
use rocket::{Route, get, routes};

use crate::domain::roles::Action;
use crate::error::AppResult;
use crate::web::auth::Staff;
use crate::web::forms::{Notice, private_meta, show};
use crate::web::htmx::Html;
use crate::web::view::{Meta, Site, SiteRef};

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    staff: &'a Staff,
}

impl DashboardPage<'_> {
    fn may_manage_users(&self) -> bool {
        self.staff.0.user.role.can(Action::ManageUsers)
    }
}

#[get("/admin")]
fn dashboard(site: SiteRef, staff: Staff, flash: Option<FlashMessage<'_>>) -> AppResult<Html> {
    show(&DashboardPage {
        meta: private_meta(&site, "Admin", "/admin"),
        site: &site,
        notice: Notice::from_flash(flash),
        staff: &staff,
    })
}

pub fn routes() -> Vec<Route> {
    [routes![dashboard], users::routes()].concat()
}
