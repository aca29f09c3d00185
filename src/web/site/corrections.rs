//! "Found a mistake? Suggest a correction": a form at the end of every article whose answers go
//! to the editors' private queue (`/admin/corrections`), never to the site. Like the comment
//! form it lives on a page of its own (fetched into the article by htmx), so the article stays
//! the same bytes for everyone; it has the same bot defence.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use super::comment_posting::{over_limit, stamp_error};
use super::comments::visible_post;
use crate::db::FolioDb;
use crate::db::corrections::{self, NewSuggestion};
use crate::domain::corrections::check;
use crate::domain::spam::Submission;
use crate::domain::validation::FieldErrors;
use crate::web::account::visit::Visit;
use crate::web::auth::CurrentUser;
use crate::web::error::AppResult;
use crate::web::form::{Form, limit_for};
use crate::web::forms::{Notice, form_fragment, private_meta};
use crate::web::htmx::Html;
use crate::web::params::SlugParam;
use crate::web::redirect::{Answer, done};
use crate::web::stamp::Stamper;
use crate::web::view::{Meta, Site};

/// What the reader is told once a suggestion is in (or silently dropped as spam).
const THANKS: &str = "Thank you. The editors will look at your suggestion.";

#[derive(Template)]
#[template(path = "site/correction_form.html", blocks = ["form"])]
struct CorrectionPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    stamp: String,
    post_slug: String,
    post_title: String,
    form: CorrectionForm,
    errors: FieldErrors,
    /// Sent: the form gives way to the thanks (htmx).
    sent: bool,
}

form_fragment!(CorrectionPage);

/// The suggestion form's fields, with the bot defence's `stamp` and honeypot `website`.
#[derive(Debug, Clone, Default, FromForm)]
struct CorrectionForm {
    #[field(default = String::new())]
    stamp: String,
    #[field(default = String::new())]
    website: String,
    #[field(default = String::new())]
    passage: String,
    #[field(default = String::new())]
    problem: String,
    #[field(default = String::new())]
    email: String,
}

/// Both texts at their longest, and the rest.
const LIMIT: u64 =
    limit_for(crate::domain::corrections::PASSAGE_MAX + crate::domain::corrections::PROBLEM_MAX, 4096);

fn purpose(post_id: i64) -> String {
    format!("correction:{post_id}")
}

fn page<'a>(
    site: &'a Site,
    csrf: String,
    stamper: &Stamper,
    post: &crate::db::posts::PostPage,
    form: CorrectionForm,
    errors: FieldErrors,
    notice: Option<Notice>,
) -> CorrectionPage<'a> {
    let path = format!("/posts/{}/correction", post.slug);
    CorrectionPage {
        meta: private_meta(site, &format!("Suggest a correction to “{}”", post.title), &path),
        site,
        notice,
        csrf,
        stamp: stamper.kept_or_fresh(&purpose(post.id), &form.stamp),
        post_slug: post.slug.clone(),
        post_title: post.title.clone(),
        form,
        errors,
        sent: false,
    }
}

#[get("/posts/<slug>/correction")]
async fn new(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    flash: Option<FlashMessage<'_>>,
    slug: SlugParam,
) -> AppResult<Html> {
    let post = visible_post(&db, slug.get()?, stamper.now()).await?;
    let view = page(
        &visit.site,
        visit.csrf.0,
        &stamper,
        &post,
        <CorrectionForm as Default>::default(),
        FieldErrors::new(),
        Notice::from_flash(flash),
    );
    Html::page_or_fragment(visit.hx, &view)
}

#[post("/posts/<slug>/corrections", data = "<form>")]
async fn create(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    member: Option<CurrentUser>,
    slug: SlugParam,
    form: Form<CorrectionForm, { LIMIT }>,
) -> AppResult<Answer> {
    let post = visible_post(&db, slug.get()?, stamper.now()).await?;
    let form = form.into_inner();
    let hx = visit.hx;
    let thanks = |hx: crate::web::htmx::HxRequest| -> AppResult<Answer> {
        if hx.wants_fragment() {
            let mut sent = page(
                &visit.site,
                String::new(),
                &stamper,
                &post,
                <CorrectionForm as Default>::default(),
                FieldErrors::new(),
                Notice::success(THANKS),
            );
            sent.sent = true;
            return Ok(Html::page_or_fragment(hx, &sent)?.into());
        }
        Ok(done(hx, format!("/posts/{}/correction", post.slug), THANKS))
    };
    if !form.website.is_empty() {
        return thanks(hx);
    }
    let mut errors = FieldErrors::new();
    let mut status = Status::UnprocessableEntity;
    let suggestion = match stamp_error(stamper.check(&purpose(post.id), &form.stamp)) {
        Some(message) => {
            errors.add("problem", message);
            None
        }
        None => check(&form.passage, &form.problem, &form.email, &mut errors),
    };
    if suggestion.is_some()
        && errors.is_empty()
        && let Some(message) =
            over_limit(&db, member.as_ref().map(|m| m.user.id), &visit.addr.0, stamper.now()).await?
    {
        errors.add("problem", message);
        status = Status::TooManyRequests;
    }
    let Some(s) = suggestion.filter(|_| errors.is_empty()) else {
        let view = page(&visit.site, visit.csrf.0.clone(), &stamper, &post, form, errors, None);
        let status = if hx.wants_fragment() { Status::UnprocessableEntity } else { status };
        return Ok(Html::page_or_fragment(hx, &view)?.with_status(status).into());
    };
    let email = s.email.as_ref().map_or("", |e| e.as_str());
    let blocked = visit.site.comment_blocklist.matches(&Submission {
        name: "",
        email,
        url: "",
        body: &format!("{}\n{}", s.passage, s.problem),
        addr: &visit.addr.0,
    });
    // A blocked sender is thanked like anyone, and nothing reaches the editors.
    if blocked.is_none() {
        let new = NewSuggestion {
            post_id: post.id,
            passage: &s.passage,
            problem: &s.problem,
            email,
            client_addr: &visit.addr.0,
        };
        corrections::suggest(&db, &new, stamper.now()).await?;
    }
    thanks(hx)
}

pub fn routes() -> Vec<Route> {
    routes![new, create]
}
