//! Comments on articles (issue 17): the form, posting, and a comment's lasting address. A
//! member's edits and deletions, and the reply-notice unsubscribe link, are in
//! [`super::own_comments`]; the rules a comment meets on its way in, in [`super::comment_posting`].
//!
//! **The article stays the same bytes for every signed-out reader** (so the page cache may keep
//! it): it shows the approved comments and plain links, never a form. The form lives at
//! `/posts/<slug>/comment`, a page of its own that carries what is per visitor (the CSRF token,
//! the form's stamp, "signed in as …", the visitor's own comments). Without JavaScript the
//! links open that page; with htmx they fetch the same route's form as a fragment into the
//! article. A comment posts to `/posts/<slug>/comments`: a 303 back to the comment's anchor,
//! or with htmx the comment (or "awaiting moderation") in the form's place.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use super::comment_posting::{self, Posted};
use crate::db::comments::{self, Comment, Shown};
use crate::db::posts::{self, PostPage};
use crate::db::{Db, FolioDb};
use crate::domain::comments::{Avatar, Openness, avatar, editable, openness};
use crate::domain::site_settings::CommentPolicy;
use crate::domain::validation::FieldErrors;
use crate::domain::{Timestamp, dates};
use crate::web::account::visit::Visit;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, AppResult};
use crate::web::form::{Form, limit_for};
use crate::web::forms::{Notice, form_fragment, private_meta};
use crate::web::htmx::Html;
use crate::web::params::SlugParam;
use crate::web::redirect::{Answer, done};
use crate::web::stamp::Stamper;
use crate::web::view::{Meta, Site};

/// A comment as a template shows it.
#[derive(Debug, Clone)]
pub struct CommentView {
    pub id: i64,
    pub author_name: String,
    pub author_url: String,
    pub avatar: Avatar,
    pub iso: String,
    pub absolute: String,
    pub relative: String,
    pub body_html: String,
    pub edited: bool,
    pub staff: bool,
    pub deleted: bool,
}

impl CommentView {
    /// The view of `c` at `now`, and the moment its relative date changes.
    pub fn of(c: Shown, now: Timestamp) -> (CommentView, Timestamp) {
        let (relative, changes) = dates::relative(c.created_at, now);
        let view = CommentView {
            id: c.id,
            avatar: avatar(&c.author_name),
            author_name: c.author_name,
            author_url: c.author_url,
            iso: dates::iso(c.created_at),
            absolute: dates::human_time(c.created_at),
            relative,
            body_html: c.body_html,
            edited: c.edited_at.is_some(),
            staff: c.staff_reply,
            deleted: c.deleted_at.is_some(),
        };
        (view, changes)
    }
}

/// An article's comments section.
#[derive(Debug, Clone)]
pub struct Discussion {
    pub threads: Vec<(CommentView, Vec<CommentView>)>,
    pub count: i64,
    pub page: i64,
    pub pages: i64,
    pub openness: Openness,
    /// When the first relative date on the page changes (the page's `Expires`).
    pub expires: Option<Timestamp>,
}

impl Discussion {
    /// The comments of `post` on comment page `page`, as readers see them at `now`.
    pub async fn load(
        db: &Db,
        site: &Site,
        post: &PostPage,
        page: i64,
        now: Timestamp,
    ) -> AppResult<Discussion> {
        let openness = post_openness(site, post.comment_policy.as_deref(), post.published_at, now);
        // No approved comment: no thread, not even a deleted comment's place (it would need a
        // reply under it, which counts). Most articles, so no query.
        let (threads, pages) = if post.comment_count == 0 {
            (Vec::new(), 1)
        } else {
            comments::thread(db, post.id, page).await?
        };
        let mut expires: Option<Timestamp> = None;
        let mut view = |c: Shown| {
            let (v, changes) = CommentView::of(c, now);
            expires = Some(expires.map_or(changes, |e| e.min(changes)));
            v
        };
        let threads = threads
            .into_iter()
            .map(|(top, replies)| (view(top), replies.into_iter().map(&mut view).collect()))
            .collect();
        // The page offers a form until the post closes: it must not outlive that moment either.
        if openness.accepts() && site.comment_close_days > 0 {
            let closes = post.published_at.saturating_add(i64::from(site.comment_close_days) * 86_400);
            expires = Some(expires.map_or(closes, |e| e.min(closes)));
        }
        Ok(Discussion { threads, count: post.comment_count, page, pages, openness, expires })
    }
}

/// Who may comment on a post with the stored policy `policy`, published at `published_at`.
pub fn post_openness(site: &Site, policy: Option<&str>, published_at: Timestamp, now: Timestamp) -> Openness {
    let own = policy.and_then(CommentPolicy::parse);
    openness(site.comment_policy, own, site.comment_close_days, published_at, now)
}

/// The comment form, as a page (without JavaScript) or its `form` block (htmx).
#[derive(Template)]
#[template(path = "site/comment_form.html", blocks = ["form"])]
pub struct CommentFormPage<'a> {
    pub site: &'a Site,
    pub meta: Meta,
    pub notice: Option<Notice>,
    pub csrf: String,
    pub stamp: String,
    pub post_slug: String,
    pub post_title: String,
    pub openness: Openness,
    /// The signed-in visitor's name.
    pub member: Option<String>,
    /// The comment answered: (id, author's name).
    pub reply_to: Option<(i64, String)>,
    pub form: CommentForm,
    pub errors: FieldErrors,
    /// The visitor's own comments on this post, for editing and deleting.
    pub mine: Vec<Mine>,
}

form_fragment!(CommentFormPage);

impl CommentFormPage<'_> {
    /// The id prefix of this form's fields: a reply form and the main one may share a page.
    fn prefix(&self) -> String {
        match self.reply_to {
            Some((id, _)) => format!("c{id}"),
            None => "c0".to_owned(),
        }
    }

    fn parent(&self) -> i64 {
        self.reply_to.as_ref().map_or(0, |(id, _)| *id)
    }
}

/// One of the visitor's own comments.
#[derive(Debug, Clone)]
pub struct Mine {
    pub id: i64,
    pub excerpt: String,
    pub pending: bool,
    pub editable: bool,
}

/// The comment form's fields. `stamp` and the honeypot [`crate::domain::form_stamp::HONEYPOT`]
/// (`website`) are the bot defence; `parent` is 0 for a top-level comment.
#[derive(Debug, Clone, Default, FromForm)]
pub struct CommentForm {
    #[field(default = String::new())]
    pub stamp: String,
    #[field(default = String::new())]
    pub website: String,
    #[field(default = 0)]
    pub parent: i64,
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub url: String,
    #[field(default = String::new())]
    pub body: String,
    #[field(default = false)]
    pub notify: bool,
}

/// A comment's body with the other fields: 5,000 characters and a few hundred bytes.
pub const COMMENT_LIMIT: u64 = limit_for(crate::domain::comments::BODY_MAX, 4096);

/// The stamp purpose of the comment form of post `post_id`.
pub fn stamp_purpose(post_id: i64) -> String {
    format!("comment:{post_id}")
}

/// The visible post at `slug`, or 404.
pub async fn visible_post(db: &Db, slug: &str, now: Timestamp) -> AppResult<PostPage> {
    posts::find_visible(&mut db.hold().await?, slug, now).await?.ok_or_else(AppError::not_found)
}

/// Everything the form page shows, given the post and what was typed.
pub struct FormState {
    pub form: CommentForm,
    pub errors: FieldErrors,
    pub notice: Option<Notice>,
}

pub async fn form_page<'a>(
    db: &Db,
    site: &'a Site,
    visit_csrf: String,
    stamper: &Stamper,
    post: &PostPage,
    member: Option<&CurrentUser>,
    state: FormState,
) -> AppResult<CommentFormPage<'a>> {
    let now = stamper.now();
    let reply_to = match state.form.parent {
        0 => None,
        id => match comments::find(db, id).await? {
            Some(c) if c.post_id == post.id && c.status == "approved" => {
                Some((c.parent_id.unwrap_or(c.id), c.author_name))
            }
            _ => None,
        },
    };
    let mine = match member {
        Some(m) => comments::mine(db, m.user.id, post.id)
            .await?
            .into_iter()
            .map(|c: Comment| Mine {
                id: c.id,
                excerpt: crate::domain::text::truncate_words(&c.body_md, 80),
                pending: c.status == "pending",
                editable: editable(c.created_at, now),
            })
            .collect(),
        None => Vec::new(),
    };
    let path = format!("/posts/{}/comment", post.slug);
    Ok(CommentFormPage {
        meta: private_meta(site, &format!("Comment on “{}”", post.title), &path),
        site,
        notice: state.notice,
        csrf: visit_csrf,
        stamp: stamper.kept_or_fresh(&stamp_purpose(post.id), &state.form.stamp),
        post_slug: post.slug.clone(),
        post_title: post.title.clone(),
        openness: post_openness(site, post.comment_policy.as_deref(), post.published_at, now),
        member: member.map(|m| m.user.display_name.clone()),
        reply_to,
        form: state.form,
        errors: state.errors,
        mine,
    })
}

#[get("/posts/<slug>/comment?<reply>")]
async fn new(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    member: Option<CurrentUser>,
    flash: Option<FlashMessage<'_>>,
    slug: SlugParam,
    reply: Option<i64>,
) -> AppResult<Html> {
    let post = visible_post(&db, slug.get()?, stamper.now()).await?;
    let form =
        CommentForm { parent: reply.unwrap_or(0), notify: true, ..<CommentForm as Default>::default() };
    let state = FormState { form, errors: FieldErrors::new(), notice: Notice::from_flash(flash) };
    let page = form_page(&db, &visit.site, visit.csrf.0, &stamper, &post, member.as_ref(), state).await?;
    Html::page_or_fragment(visit.hx, &page)
}

#[post("/posts/<slug>/comments", data = "<form>")]
async fn create(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    member: Option<CurrentUser>,
    slug: SlugParam,
    form: Form<CommentForm, { COMMENT_LIMIT }>,
) -> AppResult<Answer> {
    let post = visible_post(&db, slug.get()?, stamper.now()).await?;
    let hx = visit.hx;
    let posted =
        comment_posting::post(&db, &visit, &stamper, member.as_ref(), &post, form.into_inner()).await?;
    match posted {
        Posted::Invalid(state, status) => {
            let page =
                form_page(&db, &visit.site, visit.csrf.0, &stamper, &post, member.as_ref(), *state).await?;
            let status = if hx.wants_fragment() { Status::UnprocessableEntity } else { status };
            Ok(Html::page_or_fragment(hx, &page)?.with_status(status).into())
        }
        Posted::Shown(id) if hx.wants_fragment() => {
            let shown = comments::thread_item(&db, id).await?.ok_or_else(AppError::not_found)?;
            let (comment, _) = CommentView::of(shown, stamper.now());
            Ok(Html::page(&SentFragment { comment: Some(comment), message: "Your comment is published." })?
                .into())
        }
        Posted::Shown(id) => {
            Ok(done(hx, format!("/posts/{}#comment-{id}", post.slug), "Your comment is published."))
        }
        Posted::Held if hx.wants_fragment() => {
            Ok(Html::page(&SentFragment { comment: None, message: comment_posting::HELD })?.into())
        }
        Posted::Held => Ok(done(hx, format!("/posts/{}#comments", post.slug), comment_posting::HELD)),
    }
}

/// Where approved comment `id` is shown: `/posts/<slug>#comment-<id>`, with `?comments=N` once
/// its thread has moved to an older page.
pub async fn comment_url(db: &Db, id: i64, now: Timestamp) -> AppResult<String> {
    let (slug, page) = comments::locate(db, id, now).await?.ok_or_else(AppError::not_found)?;
    let query = if page > 1 { format!("?comments={page}") } else { String::new() };
    Ok(format!("/posts/{slug}{query}#comment-{id}"))
}

/// A comment's lasting address (reply notices and the admin link here): a 303 to wherever its
/// page is now; 404 for a comment readers do not see.
#[get("/comments/<id>")]
async fn show(db: Connection<FolioDb>, stamper: Stamper, id: i64) -> AppResult<rocket::response::Redirect> {
    Ok(rocket::response::Redirect::to(comment_url(&db, id, stamper.now()).await?))
}

/// What htmx puts in the form's place once a comment is sent.
#[derive(Template)]
#[template(path = "site/comment_sent.html")]
struct SentFragment {
    comment: Option<CommentView>,
    message: &'static str,
}

pub fn routes() -> Vec<Route> {
    routes![new, create, show]
}
