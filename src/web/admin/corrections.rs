//! Readers' suggested corrections, for editors: the open, resolved and dismissed lists; marking
//! one resolved or dismissed (or open again); and an article's correction notices, added (with
//! the suggestion it answers resolved) and removed. Every action goes into the audit log; every
//! change of notices into the post's revisions.

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use crate::db::corrections::{self, Notice, Suggestion};
use crate::db::{FolioDb, editing};
use crate::domain::corrections::{Decision, check_notice, heading};
use crate::domain::roles::Action;
use crate::domain::validation::FieldErrors;
use crate::domain::{dates, now};
use crate::web::admin::{Desk, Shell, list_paging};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{form_fragment, invalid};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done};
use crate::web::view::{Meta, Paging, Site};

const PER_PAGE: u32 = 50;

#[derive(Template)]
#[template(path = "admin/corrections/index.html")]
struct QueuePage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    current: Decision,
    suggestions: Vec<Suggestion>,
    total: i64,
    paging: Paging,
}

impl QueuePage<'_> {
    fn when(&self, at: &i64) -> String {
        dates::utc_minute(*at)
    }

    fn decisions(&self) -> [Decision; 3] {
        Decision::ALL
    }
}

#[get("/admin/corrections?<status>&<page>")]
async fn index(
    db: Connection<FolioDb>,
    desk: Desk,
    status: Option<&str>,
    page: Option<&str>,
) -> AppResult<Html> {
    desk.require(Action::EditAllContent)?;
    let current = status.and_then(Decision::parse).unwrap_or(Decision::Open);
    let query = format!("status={}", current.as_str());
    let mut paging = list_paging(page, PER_PAGE, "/admin/corrections", &query);
    let (rows, total) = corrections::list(&db, current, paging.limit(), paging.offset()).await?;
    let suggestions = paging.trim(rows);
    let (meta, shell) = desk.frame("corrections", "Suggested corrections", "/admin/corrections");
    Html::page(&QueuePage { site: &desk.site, meta, shell, current, suggestions, total, paging })
}

#[derive(Debug, FromForm)]
struct DecideForm {
    #[field(default = String::new())]
    decision: String,
}

#[post("/admin/corrections/<id>", data = "<form>")]
async fn decide(db: Connection<FolioDb>, desk: Desk, id: i64, form: Form<DecideForm>) -> AppResult<Answer> {
    desk.require(Action::EditAllContent)?;
    let decision = Decision::parse(&form.decision).ok_or_else(AppError::not_found)?;
    let suggestion = corrections::find(&db, id).await?.ok_or_else(AppError::not_found)?;
    if corrections::decide(&db, id, decision, desk.user().id, now()).await? {
        let subject = format!("suggested correction #{id} to “{}”", suggestion.post_title);
        desk.audit(&db, &format!("marked {}", decision.as_str()), &subject, "").await?;
    }
    let back = format!("/admin/corrections?status={}", suggestion.status);
    Ok(done(desk.hx, back, format!("Marked {}.", decision.label().to_lowercase())))
}

#[derive(Template)]
#[template(path = "admin/corrections/notices.html", blocks = ["form"])]
struct NoticesPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    post_id: i64,
    post_title: String,
    post_slug: String,
    notices: Vec<Notice>,
    /// The suggestion being answered, shown beside the form and resolved with the notice.
    suggestion: Option<Suggestion>,
    body: String,
    errors: FieldErrors,
}

form_fragment!(NoticesPage);

impl NoticesPage<'_> {
    fn heading(&self, at: &i64) -> String {
        heading(*at)
    }
}

async fn notices_page<'a>(
    db: &crate::db::Db,
    desk: &'a Desk,
    post_id: i64,
    suggestion: Option<i64>,
    body: String,
    errors: FieldErrors,
) -> AppResult<NoticesPage<'a>> {
    let post = editing::find(db, post_id).await?.ok_or_else(AppError::not_found)?;
    let suggestion = match suggestion {
        Some(id) => corrections::find(db, id).await?.filter(|s| s.post_id == post_id),
        None => None,
    };
    let path = format!("/admin/posts/{post_id}/corrections");
    let (meta, shell) = desk.frame("corrections", "Correction notices", &path);
    Ok(NoticesPage {
        site: &desk.site,
        meta,
        shell,
        post_id,
        post_title: post.title,
        post_slug: post.slug,
        notices: corrections::notices(db, post_id).await?,
        suggestion,
        body,
        errors,
    })
}

#[get("/admin/posts/<id>/corrections?<suggestion>")]
async fn notices(db: Connection<FolioDb>, desk: Desk, id: i64, suggestion: Option<i64>) -> AppResult<Html> {
    desk.require(Action::EditAllContent)?;
    Html::page(&notices_page(&db, &desk, id, suggestion, String::new(), FieldErrors::new()).await?)
}

#[derive(Debug, FromForm)]
struct NoticeForm {
    #[field(default = String::new())]
    body: String,
    suggestion: Option<i64>,
}

#[post("/admin/posts/<id>/corrections", data = "<form>")]
async fn add(db: Connection<FolioDb>, desk: Desk, id: i64, form: Form<NoticeForm>) -> AppResult<Answer> {
    desk.require(Action::EditAllContent)?;
    let form = form.into_inner();
    let body = match check_notice(&form.body) {
        Ok(body) => body,
        Err(message) => {
            let mut errors = FieldErrors::new();
            errors.add("body", message);
            let page = notices_page(&db, &desk, id, form.suggestion, form.body, errors).await?;
            return Ok(invalid(desk.hx, &page)?.into());
        }
    };
    let post = editing::find(&db, id).await?.ok_or_else(AppError::not_found)?;
    let at = now();
    corrections::add_notice(&db, id, &body, desk.user().id, at).await?;
    desk.audit(&db, "added a correction notice to", &format!("“{}”", post.title), &body).await?;
    if let Some(suggestion) = form.suggestion
        && corrections::find(&db, suggestion).await?.is_some_and(|s| s.post_id == id)
        && corrections::decide(&db, suggestion, Decision::Resolved, desk.user().id, at).await?
    {
        let subject = format!("suggested correction #{suggestion} to “{}”", post.title);
        desk.audit(&db, "marked resolved", &subject, "").await?;
    }
    Ok(done(desk.hx, format!("/admin/posts/{id}/corrections"), "The correction notice is on the article."))
}

#[post("/admin/posts/<id>/corrections/<notice>/delete")]
async fn remove(db: Connection<FolioDb>, desk: Desk, id: i64, notice: i64) -> AppResult<Answer> {
    desk.require(Action::EditAllContent)?;
    let post = editing::find(&db, id).await?.ok_or_else(AppError::not_found)?;
    if !corrections::remove_notice(&db, id, notice, desk.user().id, now()).await? {
        return Err(AppError::not_found());
    }
    desk.audit(&db, "removed a correction notice from", &format!("“{}”", post.title), "").await?;
    Ok(done(desk.hx, format!("/admin/posts/{id}/corrections"), "The correction notice is removed."))
}

pub fn routes() -> Vec<Route> {
    routes![index, decide, notices, add, remove]
}
