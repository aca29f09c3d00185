//! The audit log, newest first, for administrators.

use askama::Template;
use rocket::{Route, get, routes};
use rocket_db_pools::Connection;

use crate::db::FolioDb;
use crate::db::audit::{self, Entry};
use crate::domain::roles::Action;
use crate::domain::{Timestamp, dates};
use crate::web::admin::{Desk, Shell, parse_id};
use crate::web::error::AppResult;
use crate::web::htmx::Html;
use crate::web::view::{Meta, Site};

const PER_PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "admin/audit/index.html")]
pub struct AuditPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    entries: Vec<Entry>,
    /// The id to continue from for older entries (keyset pagination).
    older: Option<i64>,
}

impl AuditPage<'_> {
    fn at(&self, at: &Timestamp) -> String {
        dates::utc_minute(*at)
    }
}

#[get("/admin/audit?<before>")]
async fn index(db: Connection<FolioDb>, desk: Desk, before: Option<&str>) -> AppResult<Html> {
    desk.require(Action::ManageSettings)?;
    let mut entries = audit::list(&db, parse_id(before), PER_PAGE + 1).await?;
    let older = (entries.len() as i64 > PER_PAGE).then(|| entries[PER_PAGE as usize - 1].id);
    entries.truncate(PER_PAGE as usize);
    let (meta, shell) = desk.frame("audit", "Audit log", "/admin/audit");
    Html::page(&AuditPage { site: &desk.site, meta, shell, entries, older })
}

pub fn routes() -> Vec<Route> {
    routes![index]
}
