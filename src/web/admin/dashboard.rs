//! The admin's front page: counts, drafts in progress, what is scheduled, and recent activity.

use askama::Template;
use rocket::{Route, get, routes};
use rocket_db_pools::Connection;

use crate::db::FolioDb;
use crate::db::admin_posts::{self, Counts, PostQuery, PostRow, Sort, StatusFilter};
use crate::db::audit::{self, Entry};
use crate::domain::roles::Action;
use crate::domain::{Timestamp, dates, now};
use crate::web::admin::{Desk, Shell};
use crate::web::error::AppResult;
use crate::web::htmx::Html;
use crate::web::view::{Meta, Site};

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    counts: Counts,
    drafts: Vec<PostRow>,
    scheduled: Vec<PostRow>,
    activity: Vec<Entry>,
    may_write_any: bool,
}

impl DashboardPage<'_> {
    fn date(&self, at: &Timestamp) -> String {
        dates::human(*at)
    }

    fn when(&self, at: &Option<Timestamp>) -> String {
        at.map(dates::human).unwrap_or_default()
    }
}

#[get("/admin")]
async fn show(db: Connection<FolioDb>, desk: Desk) -> AppResult<Html> {
    let now = now();
    // Writers who may not edit others' work see their own drafts and schedule.
    let author = (!desk.can(Action::EditAllContent)).then_some(desk.user().id);
    let query = |status| PostQuery {
        search: String::new(),
        status,
        author,
        tag: None,
        series: None,
        sort: Sort::Updated,
        limit: 5,
        offset: 0,
    };
    let (drafts, _) = admin_posts::list(&db, &query(StatusFilter::Draft), now).await?;
    let (scheduled, _) = admin_posts::list(&db, &query(StatusFilter::Scheduled), now).await?;
    let activity =
        if desk.can(Action::ManageSettings) { audit::list(&db, None, 8).await? } else { Vec::new() };
    let (meta, shell) = desk.frame("dashboard", "Dashboard", "/admin");
    Html::page(&DashboardPage {
        site: &desk.site,
        meta,
        shell,
        counts: admin_posts::counts(&db, now).await?,
        drafts,
        scheduled,
        activity,
        may_write_any: desk.can(Action::EditAllContent),
    })
}

pub fn routes() -> Vec<Route> {
    routes![show]
}
