//! A post's history: every explicit save is a revision; any one can be compared side by side with
//! the current text and restored (which is itself a new revision, so nothing is lost).

use askama::Template;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use crate::db::FolioDb;
use crate::db::editing::{self, EditPost, Save, SaveError};
use crate::db::revisions::{self as history, Revision};
use crate::domain::diff::{self, Row};
use crate::domain::editor::{Current, Intent, check_post};
use crate::domain::roles::{Action, PostChange};
use crate::domain::{Timestamp, dates, now};
use crate::web::admin::editor::load;
use crate::web::admin::{Desk, Shell};
use crate::web::error::{AppError, AppResult};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done, failed};
use crate::web::view::{Meta, Site};
use crate::web::writing::input_of;

const SHOWN: i64 = 200;

#[derive(Template)]
#[template(path = "admin/posts/revisions.html")]
pub struct RevisionsPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    post: EditPost,
    revisions: Vec<Revision>,
}

impl RevisionsPage<'_> {
    fn date(&self, at: &Timestamp) -> String {
        dates::utc_minute(*at)
    }
}

#[derive(Template)]
#[template(path = "admin/posts/diff.html")]
pub struct DiffPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    post: EditPost,
    revision: Revision,
    title_changed: bool,
    rows: Vec<Row>,
}

impl DiffPage<'_> {
    fn date(&self, at: &Timestamp) -> String {
        dates::utc_minute(*at)
    }
}

#[get("/admin/posts/<id>/revisions")]
async fn index(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    desk.require(Action::WriteOwnPosts)?;
    let post = load(&db, &desk, id, PostChange::Edit).await?;
    let revisions = history::revisions(&db, id, SHOWN).await?;
    let (meta, shell) = desk.frame("posts", "History", &format!("/admin/posts/{id}/revisions"));
    Html::page(&RevisionsPage { site: &desk.site, meta, shell, post, revisions })
}

#[get("/admin/posts/<id>/revisions/<revision>")]
async fn compare(db: Connection<FolioDb>, desk: Desk, id: i64, revision: i64) -> AppResult<Html> {
    desk.require(Action::WriteOwnPosts)?;
    let post = load(&db, &desk, id, PostChange::Edit).await?;
    let revision = history::revision(&db, id, revision).await?.ok_or_else(AppError::not_found)?;
    let rows = diff::side_by_side(&revision.body_md, &post.body_md);
    let path = format!("/admin/posts/{id}/revisions/{}", revision.id);
    let (meta, shell) = desk.frame("posts", "Compare versions", &path);
    Html::page(&DiffPage {
        site: &desk.site,
        meta,
        shell,
        title_changed: revision.title != post.title,
        post,
        revision,
        rows,
    })
}

#[post("/admin/posts/<id>/revisions/<revision>/restore")]
async fn restore(db: Connection<FolioDb>, desk: Desk, id: i64, revision: i64) -> AppResult<Answer> {
    desk.require(Action::WriteOwnPosts)?;
    let post = load(&db, &desk, id, PostChange::Edit).await?;
    let revision = history::revision(&db, id, revision).await?.ok_or_else(AppError::not_found)?;
    let back = format!("/admin/posts/{id}/edit");
    let mut input = input_of(&post);
    input.title.clone_from(&revision.title);
    input.body.clone_from(&revision.body_md);
    input.excerpt.clone_from(&revision.excerpt);
    let now = now();
    let current =
        Current { status: post.status, published_at: post.published_at, newsletter_at: post.newsletter_at };
    let Ok(draft) = check_post(&input, Intent::Save, Some(current), now) else {
        return Ok(failed(
            desk.hx,
            back,
            "That version cannot be restored as it is; copy what you need from it.",
        ));
    };
    let note = format!("restored version {}", revision.version);
    let save = Save { by: desk.user().id, author: None, now, revision: true, note: &note };
    match editing::update(&db, id, post.version, &draft, save).await {
        Ok(_) => {}
        Err(SaveError::Conflict { .. }) => {
            return Ok(failed(
                desk.hx,
                back,
                "Someone saved the post just now; nothing was restored. Try again.",
            ));
        }
        Err(SaveError::SlugTaken) => {
            return Ok(failed(desk.hx, back, "Another post now uses this post's slug; change it first."));
        }
        Err(SaveError::NotFound) => return Err(AppError::not_found()),
        Err(SaveError::Db(e)) => return Err(e.into()),
    }
    desk.audit(&db, &note, &format!("post “{}”", draft.title), "").await?;
    Ok(done(
        desk.hx,
        back,
        format!("Restored version {}; the text before it is kept in the history.", revision.version),
    ))
}

pub fn routes() -> Vec<Route> {
    routes![index, compare, restore]
}
