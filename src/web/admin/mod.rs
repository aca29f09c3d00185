//! The admin: staff only (the [`Desk`] guard), each action further limited by role. One module
//! per screen; every list and form follows the same pattern (see `templates/admin/`).

pub mod audit;
pub mod bulk;
pub mod comments;
pub mod confirm;
pub mod corrections;
pub mod dashboard;
pub mod editor;
pub mod media;
pub mod pages;
pub mod posts;
pub mod revisions;
pub mod settings;
pub mod subscribers;
pub mod terms;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

use rocket::Route;
use rocket::request::{self, FlashMessage, FromRequest, Request};

use crate::db::Db;
use crate::db::audit::{self as audit_log, Event};
use crate::db::users::User;
use crate::domain::now;
use crate::domain::pagination::PageNumber;
use crate::domain::roles::{Action, PostChange, PostOwnership, may_change_post};
use crate::web::auth::{CurrentUser, Staff};
use crate::web::csrf::CsrfToken;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::{Notice, private_meta};
use crate::web::htmx::HxRequest;
use crate::web::view::{Meta, Paging, Site, SiteRef};
use crate::web::writing::Writer;

/// Everything an admin handler needs about the request: who (staff only), the site, the CSRF
/// token for its forms, a pending notice, and whether htmx asked.
pub struct Desk {
    pub me: CurrentUser,
    /// Comments waiting for this user's moderation (`None`: they moderate none).
    pub pending_comments: Option<i64>,
    /// Readers' suggestions still open (`None`: not this user's to handle).
    pub open_corrections: Option<i64>,
    pub site: Arc<Site>,
    pub csrf: String,
    pub notice: Option<Notice>,
    pub hx: HxRequest,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Desk {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let staff = match Staff::from_request(req).await {
            request::Outcome::Success(s) => s,
            request::Outcome::Error(e) => return request::Outcome::Error(e),
            request::Outcome::Forward(s) => return request::Outcome::Forward(s),
        };
        let (Some(site), Some(csrf)) =
            (SiteRef::from_request(req).await.succeeded(), CsrfToken::from_request(req).await.succeeded())
        else {
            return request::Outcome::Error((rocket::http::Status::InternalServerError, ()));
        };
        let flash = req.guard::<Option<FlashMessage<'_>>>().await.succeeded().flatten();
        let Some(hx) = HxRequest::from_request(req).await.succeeded() else {
            return request::Outcome::Error((rocket::http::Status::InternalServerError, ()));
        };
        let user = &staff.0.user;
        let pending_comments =
            match (crate::domain::roles::comment_scope(user.role, user.id), crate::web::auth::db_of(req)) {
                (Some(scope), Some(db)) => crate::db::moderation::pending_count(db, scope).await.ok(),
                _ => None,
            };
        let open_corrections = match crate::web::auth::db_of(req) {
            Some(db) if user.role.can(Action::EditAllContent) => {
                crate::db::corrections::open_count(db).await.ok()
            }
            _ => None,
        };
        request::Outcome::Success(Desk {
            pending_comments,
            open_corrections,
            me: staff.0,
            site: site.arc(),
            csrf: csrf.0,
            notice: Notice::from_flash(flash),
            hx,
        })
    }
}

impl Desk {
    pub fn user(&self) -> &User {
        &self.me.user
    }

    /// This user as the writer of a change ([`Writer`]): the same rules as through the API.
    pub fn writer(&self) -> Writer {
        let user = &self.me.user;
        Writer { user_id: user.id, role: user.role, name: user.display_name.clone(), token: None }
    }

    pub fn can(&self, action: Action) -> bool {
        self.me.user.role.can(action)
    }

    pub fn require(&self, action: Action) -> AppResult<()> {
        self.me.require(action)
    }

    /// Whether this user may make `change` to a post with `post`'s facts ([`may_change_post`]).
    pub fn may_change(&self, post: PostOwnership, change: PostChange) -> bool {
        may_change_post(self.me.user.role, self.me.user.id, post, change)
    }

    /// Whether this user may save a post with `post`'s facts as `intent` asks
    /// ([`crate::domain::roles::may_save_post`]).
    pub fn may_save(&self, post: PostOwnership, intent: crate::domain::editor::Intent) -> bool {
        crate::domain::roles::may_save_post(self.me.user.role, self.me.user.id, post, intent)
    }

    /// The frame of an admin page: head metadata and the shell around the content.
    pub fn frame(&self, section: &'static str, title: &str, path: &str) -> (Meta, Shell) {
        let meta = private_meta(&self.site, title, path);
        let shell = Shell {
            section,
            csrf: self.csrf.clone(),
            notice: self.notice.clone(),
            user_name: self.me.user.display_name.clone(),
            role: self.me.user.role,
            pending_comments: self.pending_comments,
            open_corrections: self.open_corrections,
        };
        (meta, shell)
    }

    /// Records what this user just did in the audit log.
    pub async fn audit(&self, db: &Db, action: &str, subject: &str, detail: &str) -> AppResult<()> {
        let event = Event { actor: (self.me.user.id, &self.me.user.display_name), action, subject, detail };
        audit_log::record(db, &event, now()).await.map_err(AppError::from)
    }
}

/// What the admin layout shows around every screen.
#[derive(Debug, Clone)]
pub struct Shell {
    /// Which navigation entry is current.
    pub section: &'static str,
    pub csrf: String,
    pub notice: Option<Notice>,
    pub user_name: String,
    pub role: crate::domain::roles::Role,
    /// Comments waiting for this user's moderation, shown beside "Comments".
    pub pending_comments: Option<i64>,
    /// Open suggested corrections, shown beside "Corrections".
    pub open_corrections: Option<i64>,
}

impl Shell {
    /// The number shown beside a navigation entry (`section`), when it has one above zero, and
    /// what it counts (for screen readers).
    pub fn count(&self, section: &str) -> Option<(i64, &'static str)> {
        let (n, what) = match section {
            "comments" => (self.pending_comments, "awaiting moderation"),
            "corrections" => (self.open_corrections, "open"),
            _ => (None, ""),
        };
        n.filter(|n| *n > 0).map(|n| (n, what))
    }

    /// Navigation entries this user may open: (section, label, path).
    pub fn nav(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let mut items = vec![("dashboard", "Dashboard", "/admin"), ("posts", "Posts", "/admin/posts")];
        if self.role.can(Action::EditAllContent) {
            items.push(("pages", "Pages", "/admin/pages"));
        }
        if self.role.can(Action::ManageTaxonomy) {
            items.push(("tags", "Tags", "/admin/tags"));
            items.push(("series", "Series", "/admin/series"));
        }
        if self.pending_comments.is_some() {
            items.push(("comments", "Comments", "/admin/comments"));
        }
        if self.open_corrections.is_some() {
            items.push(("corrections", "Corrections", "/admin/corrections"));
        }
        items.push(("media", "Media", "/admin/media"));
        if self.role.can(Action::ManageUsers) {
            items.push(("users", "Users", "/admin/users"));
            items.push(("subscribers", "Subscribers", "/admin/subscribers"));
        }
        if self.role.can(Action::ManageSettings) {
            items.push(("settings", "Settings", "/admin/settings"));
            items.push(("audit", "Audit log", "/admin/audit"));
            items.push(("webhooks", "Webhooks", "/admin/webhooks"));
        }
        items
    }

    /// The token to send with htmx requests, as the `data-hx-headers` JSON of the admin's `<main>`.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ crate::web::csrf::HEADER: self.csrf }).to_string()
    }
}

/// The paging of an admin list at `path` with the other parameters `query`: a `?page=` that is
/// not a page number shows page 1 (where the public site answers 404), and links to page 1 say
/// `page=1`.
pub fn list_paging(raw: Option<&str>, per_page: u32, path: &str, query: &str) -> Paging {
    let page = PageNumber::parse(raw).unwrap_or(PageNumber::FIRST);
    Paging::new(page, per_page, path, query).numbering_the_first_page()
}

/// A query string of the `pairs` that have a value.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(key, value);
    }
    out.finish()
}

pub use crate::web::params::parse_id;

pub fn routes() -> Vec<Route> {
    [
        dashboard::routes(),
        posts::routes(),
        bulk::routes(),
        comments::routes(),
        corrections::routes(),
        editor::routes(),
        revisions::routes(),
        pages::routes(),
        terms::routes(),
        media::routes(),
        users::routes(),
        settings::routes(),
        audit::routes(),
        webhooks::routes(),
        subscribers::routes(),
    ]
    .concat()
}
