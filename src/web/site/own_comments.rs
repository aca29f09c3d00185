//! A member's own comments (issue 17): editing within ten minutes, deleting at any time, and
//! the link in a reply notice that stops them.

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use super::comment_posting;
use super::comments::{COMMENT_LIMIT, comment_url};
use crate::db::comments::{self, Comment};
use crate::db::{Db, FolioDb};
use crate::domain::Timestamp;
use crate::domain::comments::{EDIT_WINDOW, Status as CommentStatus, check_body, editable, render};
use crate::domain::spam::Submission;
use crate::domain::validation::FieldErrors;
use crate::web::account::visit::Visit;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{Notice, form_fragment, invalid, private_meta};
use crate::web::htmx::{Html, HxRequest};
use crate::web::redirect::{Answer, done};
use crate::web::stamp::Stamper;
use crate::web::view::{Meta, Site};

/// A member's own comment, for editing within [`EDIT_WINDOW`] or deleting.
async fn own_comment(db: &Db, me: &CurrentUser, id: i64) -> AppResult<Comment> {
    let comment = comments::find(db, id).await?.ok_or_else(AppError::not_found)?;
    if comment.user_id != Some(me.user.id) || comment.deleted_at.is_some() {
        return Err(AppError::not_found());
    }
    Ok(comment)
}

#[derive(Template)]
#[template(path = "site/comment_edit.html", blocks = ["form"])]
struct EditPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    comment_id: i64,
    post_slug: String,
    post_title: String,
    body: String,
    errors: FieldErrors,
    /// Whole minutes left to edit.
    minutes_left: i64,
    /// Past the edit window: the text is shown to copy, not to save.
    locked: bool,
}

form_fragment!(EditPage);

fn edit_page<'a>(
    site: &'a Site,
    csrf: String,
    c: &Comment,
    body: String,
    errors: FieldErrors,
    now: Timestamp,
) -> EditPage<'a> {
    EditPage {
        meta: private_meta(site, "Edit your comment", &format!("/comments/{}/edit", c.id)),
        site,
        notice: None,
        csrf,
        comment_id: c.id,
        post_slug: c.post_slug.clone(),
        post_title: c.post_title.clone(),
        body,
        errors,
        minutes_left: ((c.created_at + EDIT_WINDOW - now) / 60).max(0),
        locked: !editable(c.created_at, now),
    }
}

#[get("/comments/<id>/edit")]
async fn edit(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    me: CurrentUser,
    stamper: Stamper,
    id: i64,
) -> AppResult<Answer> {
    let c = own_comment(&db, &me, id).await?;
    let now = stamper.now();
    if !editable(c.created_at, now) {
        return Ok(too_late(visit.hx, &c));
    }
    let body = c.body_md.clone();
    Ok(Html::page_or_fragment(
        visit.hx,
        &edit_page(&visit.site, visit.csrf.0, &c, body, FieldErrors::new(), now),
    )?
    .into())
}

fn too_late(hx: HxRequest, c: &Comment) -> Answer {
    crate::web::redirect::failed(
        hx,
        format!("/posts/{}/comment", c.post_slug),
        "A comment can be edited for 10 minutes after it is posted; you can still delete it.",
    )
}

#[derive(Debug, FromForm)]
struct EditForm {
    #[field(default = String::new())]
    body: String,
}

#[post("/comments/<id>/edit", data = "<form>")]
async fn update(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    me: CurrentUser,
    stamper: Stamper,
    id: i64,
    form: Form<EditForm, { COMMENT_LIMIT }>,
) -> AppResult<Answer> {
    let c = own_comment(&db, &me, id).await?;
    let now = stamper.now();
    let form = form.into_inner();
    let mut errors = FieldErrors::new();
    let body = if editable(c.created_at, now) {
        errors.check("body", check_body(&form.body))
    } else {
        // Too late to save, but what was typed comes back to be copied.
        errors.add(
            "body",
            "A comment can be edited for 10 minutes after it is posted; you can still delete it.",
        );
        None
    };
    let Some(body) = body else {
        let page = edit_page(&visit.site, visit.csrf.0, &c, form.body, errors, now);
        return Ok(invalid(visit.hx, &page)?.into());
    };
    // An edit meets the block list and the link limit as a new comment does.
    let staff = me.user.role.is_staff();
    let submission = Submission {
        name: &c.author_name,
        email: &c.author_email,
        url: &c.author_url,
        body: &body,
        addr: &visit.addr.0,
    };
    let (status, held_for) = match comment_posting::spam_rules(&visit.site, staff, &submission) {
        Some((held, why)) if c.status() == CommentStatus::Approved || held == CommentStatus::Spam => {
            (held, why)
        }
        _ => (c.status(), c.held_for.clone()),
    };
    let html = render(&body);
    let edit = comments::Edit { body_md: &body, body_html: &html, status, held_for: &held_for };
    comments::edit(&db, id, &edit, now).await?;
    if status != CommentStatus::Approved {
        return Ok(done(visit.hx, format!("/posts/{}#comments", c.post_slug), comment_posting::HELD));
    }
    Ok(done(visit.hx, comment_url(&db, id, now).await?, "Your comment is saved."))
}

#[post("/comments/<id>/delete")]
async fn delete(
    db: Connection<FolioDb>,
    hx: HxRequest,
    me: CurrentUser,
    stamper: Stamper,
    id: i64,
) -> AppResult<Answer> {
    let c = own_comment(&db, &me, id).await?;
    comments::delete_own(&db, id, stamper.now()).await?;
    Ok(done(hx, format!("/posts/{}#comments", c.post_slug), "Your comment is deleted."))
}

/// The unsubscribe link in a reply notice: `/comments/<id>/replies/<signature>`.
pub fn unsubscribe_path(stamper: &Stamper, comment_id: i64) -> String {
    format!("/comments/{comment_id}/replies/{}", stamper.sign(&format!("replies:{comment_id}")))
}

#[derive(Template)]
#[template(path = "site/comment_unsubscribe.html")]
struct UnsubscribePage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    action: String,
    post_title: String,
    done: bool,
}

/// A GET only asks: mail scanners follow links, and must not unsubscribe anyone.
#[get("/comments/<id>/replies/<signature>")]
async fn unsubscribe_page(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    id: i64,
    signature: &str,
) -> AppResult<Html> {
    unsubscribe(&db, &visit, &stamper, id, signature, false).await
}

#[post("/comments/<id>/replies/<signature>")]
async fn unsubscribe_confirm(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    id: i64,
    signature: &str,
) -> AppResult<Html> {
    unsubscribe(&db, &visit, &stamper, id, signature, true).await
}

async fn unsubscribe(
    db: &Db,
    visit: &Visit<'_>,
    stamper: &Stamper,
    id: i64,
    signature: &str,
    act: bool,
) -> AppResult<Html> {
    if !stamper.verify(&format!("replies:{id}"), signature) {
        return Err(AppError::not_found());
    }
    let comment = comments::find(db, id).await?.ok_or_else(AppError::not_found)?;
    if act {
        comments::stop_reply_notices(db, id).await?;
    }
    let path = format!("/comments/{id}/replies/{signature}");
    Html::page(&UnsubscribePage {
        meta: private_meta(&visit.site, "Reply notices", &path),
        site: &visit.site,
        notice: None,
        csrf: visit.csrf.0.clone(),
        action: path,
        post_title: comment.post_title,
        done: act || !comment.notify_replies,
    })
}

pub fn routes() -> Vec<Route> {
    routes![edit, update, delete, unsubscribe_page, unsubscribe_confirm]
}
