//! Comment moderation: the queue and the approved, spam and trash lists, filtered by post and
//! searchable; approve, unapprove, spam (optionally blocking the author's address and email),
//! trash, restore and delete for good, one at a time or in bulk; replies as staff. Editors and
//! above moderate every post, authors the comments on their own ([`comment_scope`]). Every action
//! goes into the audit log.

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use crate::db::comments::{self, Comment, NewComment};
use crate::db::moderation::{self, ModQuery};
use crate::db::{Db, FolioDb, settings};
use crate::domain::comments::{Status, check_body, render};
use crate::domain::roles::{Action, comment_scope};
use crate::domain::validation::FieldErrors;
use crate::domain::{dates, spam};
use crate::mail::Mailer;
use crate::web::admin::{Desk, Shell, list_paging, parse_id, query_string};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{form_fragment, invalid};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done, failed};
use crate::web::site::comments::COMMENT_LIMIT;
use crate::web::stamp::Stamper;
use crate::web::view::{LiveSite, Meta, Paging, Site};

const PER_PAGE: u32 = 50;

/// Whose comments this moderator may act on (see [`comment_scope`]); 403 for nobody's.
fn scope(desk: &Desk) -> AppResult<Option<i64>> {
    comment_scope(desk.user().role, desk.user().id).ok_or_else(AppError::forbidden)
}

/// The list's filters as the address gives them.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub status: String,
    pub post: String,
    pub q: String,
}

impl Filters {
    fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Pending)
    }

    /// The query string that shows this list again.
    pub fn query(&self) -> String {
        query_string(&[("status", self.status().as_str()), ("post", &self.post), ("q", &self.q)])
    }
}

#[derive(Template)]
#[template(path = "admin/comments/index.html", blocks = ["results"])]
pub struct ModerationPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    filters: Filters,
    /// (status, count) for the tabs.
    tabs: Vec<(Status, i64)>,
    posts: Vec<(i64, String)>,
    comments: Vec<Comment>,
    total: i64,
    paging: Paging,
    /// May add to the site's block list ("Spam and block"): those who moderate every post.
    may_block: bool,
}

impl ModerationPage<'_> {
    fn when(&self, at: &i64) -> String {
        dates::utc_minute(*at)
    }

    fn is_post(&self, id: &i64) -> bool {
        self.filters.post == id.to_string()
    }

    fn current(&self) -> Status {
        self.filters.status()
    }
}

impl crate::web::htmx::Fragment for ModerationPage<'_> {
    fn render_fragment(&self) -> askama::Result<String> {
        askama::Template::render(&self.as_results())
    }
}

#[get("/admin/comments?<status>&<post>&<q>&<page>")]
async fn index(
    db: Connection<FolioDb>,
    desk: Desk,
    status: Option<&str>,
    post: Option<&str>,
    q: Option<&str>,
    page: Option<&str>,
) -> AppResult<Html> {
    let scope = scope(&desk)?;
    let filters = Filters {
        status: status.unwrap_or("pending").to_owned(),
        post: parse_id(post).map(|id| id.to_string()).unwrap_or_default(),
        q: q.unwrap_or("").trim().to_owned(),
    };
    let mut paging = list_paging(page, PER_PAGE, "/admin/comments", &filters.query());
    let query = ModQuery {
        status: filters.status(),
        post_id: parse_id(post),
        search: filters.q.clone(),
        post_author: scope,
        limit: paging.limit(),
        offset: paging.offset(),
    };
    let (rows, total) = moderation::list(&db, &query).await?;
    let comments = paging.trim(rows);
    let counts = moderation::counts(&db, scope).await?;
    let (meta, shell) = desk.frame("comments", "Comments", "/admin/comments");
    let page = ModerationPage {
        site: &desk.site,
        meta,
        shell,
        tabs: Status::ALL.into_iter().zip(counts).collect(),
        posts: moderation::commented_posts(&db, scope).await?,
        filters,
        comments,
        total,
        paging,
        may_block: desk.can(Action::ModerateComments),
    };
    Html::page_or_fragment(desk.hx, &page)
}

/// A moderation form: `act` is `<action>:<id>` for a row's button, or `bulk` for the selected
/// `ids` with the chosen `action`.
#[derive(Debug, FromForm)]
struct ActForm {
    #[field(default = String::new())]
    act: String,
    #[field(default = String::new())]
    action: String,
    ids: Vec<i64>,
    #[field(default = String::new())]
    back: String,
}

/// What a moderator can do to comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Approve,
    Unapprove,
    Spam,
    /// Spam, and the authors' client addresses and emails go into the block list.
    SpamAndBlock,
    Trash,
    Restore,
    Purge,
}

impl Act {
    fn parse(s: &str) -> Option<Act> {
        Some(match s {
            "approve" => Act::Approve,
            "unapprove" => Act::Unapprove,
            "spam" => Act::Spam,
            "spam-block" => Act::SpamAndBlock,
            "trash" => Act::Trash,
            "restore" => Act::Restore,
            "purge" => Act::Purge,
            _ => return None,
        })
    }

    /// What the audit log and the notice say was done.
    fn done(self) -> &'static str {
        match self {
            Act::Approve => "approved",
            Act::Unapprove => "unapproved",
            Act::Spam => "marked as spam",
            Act::SpamAndBlock => "marked as spam and blocked",
            Act::Trash => "moved to the trash",
            Act::Restore => "restored",
            Act::Purge => "deleted for good",
        }
    }

    /// The status the comments move to (none for a purge).
    fn status(self) -> Option<Status> {
        match self {
            Act::Approve => Some(Status::Approved),
            Act::Unapprove | Act::Restore => Some(Status::Pending),
            Act::Spam | Act::SpamAndBlock => Some(Status::Spam),
            Act::Trash => Some(Status::Trash),
            Act::Purge => None,
        }
    }
}

#[post("/admin/comments", data = "<form>")]
async fn act(
    db: Connection<FolioDb>,
    desk: Desk,
    stamper: Stamper,
    mailer: &State<Mailer>,
    live: &State<LiveSite>,
    form: Form<ActForm>,
) -> AppResult<Answer> {
    let scope = scope(&desk)?;
    let form = form.into_inner();
    let back = format!("/admin/comments?{}", form.back.trim_start_matches('?'));
    let back = crate::web::redirect::next_or(&back, "/admin/comments");
    let (act, ids) = match form.act.split_once(':') {
        Some((action, id)) => (Act::parse(action), id.parse::<i64>().ok().into_iter().collect()),
        None => (Act::parse(&form.action), form.ids),
    };
    let Some(act) = act else { return Ok(failed(desk.hx, back, "Choose what to do.")) };
    if ids.is_empty() {
        return Ok(failed(desk.hx, back, "Select at least one comment first."));
    }
    // The block list is the site's: an author moderating their own posts may not change it.
    if act == Act::SpamAndBlock {
        desk.require(Action::ModerateComments)?;
    }
    let mut targets = Vec::new();
    for id in &ids {
        if let Some(c) = comments::find(&db, *id).await? {
            targets.push(c);
        }
    }
    let changed: Vec<i64> = match act.status() {
        Some(status) => {
            let mails = if status == Status::Approved {
                // Only for what this approval will move (the same rule set_status applies), so
                // an approval that moves nothing mails nobody.
                let moving: Vec<Comment> = targets
                    .iter()
                    .filter(|c| c.status() != status && c.deleted_at.is_none())
                    .filter(|c| scope.is_none_or(|author| author == c.post_author_id))
                    .cloned()
                    .collect();
                approval_mails(&db, &desk.site, &stamper, &moving).await?
            } else {
                Vec::new()
            };
            let (moved, queued) =
                moderation::set_status(&db, &ids, status, scope, &mails, stamper.now()).await?;
            mailer.queued_all(&queued, &mails);
            moved
        }
        None => moderation::purge(&db, &ids, scope).await?,
    };
    let changed: Vec<&Comment> = targets.iter().filter(|c| changed.contains(&c.id)).collect();
    let blocked = if act == Act::SpamAndBlock { block(&db, live, &changed).await? } else { String::new() };
    for c in &changed {
        let subject = format!("comment #{} by {} on “{}”", c.id, c.author_name, c.post_title);
        desk.audit(&db, act.done(), &subject, &blocked).await?;
    }
    let done_count = changed.len();
    let noun = if done_count == 1 { "comment" } else { "comments" };
    Ok(done(desk.hx, back, format!("{done_count} {noun} {}.", act.done())))
}

/// Reply notices for the replies among `approved` (see `comment_posting::reply_notices`).
async fn approval_mails(
    db: &Db,
    site: &Site,
    stamper: &Stamper,
    approved: &[Comment],
) -> AppResult<Vec<crate::db::outbox::NewMail>> {
    let replies: Vec<(i64, String)> = approved
        .iter()
        .filter(|c| c.status() != Status::Approved)
        .filter_map(|c| c.parent_id.map(|p| (p, c.author_email.clone())))
        .collect();
    crate::web::site::comment_posting::reply_notices(db, site, stamper, &replies).await
}

/// Adds the client addresses and emails of `spam` to the site's block list, as saved (not this
/// process's copy, which may be seconds old), and applies it here at once. Returns the entries
/// added, for the audit log.
async fn block(db: &Db, live: &LiveSite, spam: &[&Comment]) -> AppResult<String> {
    let entries: Vec<&str> =
        spam.iter().flat_map(|c| [c.client_addr.as_str(), c.author_email.as_str()]).collect();
    let (before, after) =
        settings::amend(db, "comment_blocklist", |saved| spam::with_entries(saved, &entries)).await?;
    live.apply(&settings::all(db).await?);
    let added: Vec<&str> = after.lines().skip(before.lines().count()).collect();
    Ok(if added.is_empty() { String::new() } else { format!("blocked {}", added.join(", ")) })
}

#[derive(Template)]
#[template(path = "admin/comments/reply.html", blocks = ["form"])]
struct ReplyPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    comment: Comment,
    body: String,
    errors: FieldErrors,
}

form_fragment!(ReplyPage);

/// An approved comment this moderator may answer.
async fn answerable(db: &Db, desk: &Desk, id: i64) -> AppResult<Comment> {
    let scope = scope(desk)?;
    let c = comments::find(db, id).await?.ok_or_else(AppError::not_found)?;
    if scope.is_some_and(|author| author != c.post_author_id) {
        return Err(AppError::forbidden());
    }
    if c.status() != Status::Approved || c.deleted_at.is_some() {
        return Err(AppError::not_found());
    }
    Ok(c)
}

fn reply_page(desk: &Desk, comment: Comment, body: String, errors: FieldErrors) -> ReplyPage<'_> {
    let path = format!("/admin/comments/{}/reply", comment.id);
    let (meta, shell) = desk.frame("comments", "Reply to a comment", &path);
    ReplyPage { site: &desk.site, meta, shell, comment, body, errors }
}

#[get("/admin/comments/<id>/reply")]
async fn reply(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    let c = answerable(&db, &desk, id).await?;
    Html::page(&reply_page(&desk, c, String::new(), FieldErrors::new()))
}

#[derive(Debug, FromForm)]
struct ReplyForm {
    #[field(default = String::new())]
    body: String,
}

#[post("/admin/comments/<id>/reply", data = "<form>")]
async fn send_reply(
    db: Connection<FolioDb>,
    desk: Desk,
    stamper: Stamper,
    mailer: &State<Mailer>,
    id: i64,
    form: Form<ReplyForm, { COMMENT_LIMIT }>,
) -> AppResult<Answer> {
    let parent = answerable(&db, &desk, id).await?;
    let form = form.into_inner();
    let body = match check_body(&form.body) {
        Ok(body) => body,
        Err(message) => {
            let mut errors = FieldErrors::new();
            errors.add("body", message);
            return Ok(invalid(desk.hx, &reply_page(&desk, parent, form.body, errors))?.into());
        }
    };
    let me = desk.user();
    let top = parent.parent_id.unwrap_or(parent.id);
    let html = render(&body);
    let reply = NewComment {
        post_id: parent.post_id,
        parent_id: Some(top),
        user_id: Some(me.id),
        author_name: &me.display_name,
        author_email: &me.email,
        author_url: "",
        body_md: &body,
        body_html: &html,
        status: Status::Approved,
        held_for: "",
        staff_reply: true,
        notify_replies: false,
        client_addr: "",
        user_agent: "",
    };
    let mails = crate::web::site::comment_posting::reply_notices(
        &db,
        &desk.site,
        &stamper,
        &[(top, me.email.clone())],
    )
    .await?;
    let (reply_id, queued) = comments::create(&db, &reply, &mails, stamper.now()).await?;
    mailer.queued_all(&queued, &mails);
    let subject = format!("comment #{} by {} on “{}”", parent.id, parent.author_name, parent.post_title);
    desk.audit(&db, "replied to", &subject, &format!("reply #{reply_id}")).await?;
    Ok(done(
        desk.hx,
        format!("/admin/comments?status=approved&post={}", parent.post_id),
        "Your reply is published.",
    ))
}

pub fn routes() -> Vec<Route> {
    routes![index, act, reply, send_reply]
}
