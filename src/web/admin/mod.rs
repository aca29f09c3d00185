//! The admin: staff only (the [`Desk`] guard), each action further limited by role. One module
//! per screen; every list and form follows the same pattern (see `templates/admin/`).

pub mod audit;
pub mod bulk;
pub mod confirm;
pub mod dashboard;
pub mod editor;
pub mod media;
pub mod pages;
pub mod posts;
pub mod revisions;
pub mod settings;
pub mod terms;
pub mod users;

use std::sync::Arc;

use rocket::Route;
use rocket::request::{self, FlashMessage, FromRequest, Request};

use crate::db::Db;
use crate::db::audit::{self as audit_log, Event};
use crate::db::users::User;
use crate::domain::now;
use crate::domain::roles::{Action, PostChange, PostOwnership, may_change_post};
use crate::web::auth::{CurrentUser, Staff};
use crate::web::csrf::CsrfToken;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::{Notice, private_meta};
use crate::web::htmx::HxRequest;
use crate::web::view::{Meta, Site, SiteRef};

/// Everything an admin handler needs about the request: who (staff only), the site, the CSRF
/// token for its forms, a pending notice, and whether htmx asked.
pub struct Desk {
    pub me: CurrentUser,
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
        request::Outcome::Success(Desk {
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

    /// The frame of an admin page: head metadata and the shell around the content.
    pub fn frame(&self, section: &'static str, title: &str, path: &str) -> (Meta, Shell) {
        let meta = private_meta(&self.site, title, path);
        let shell = Shell {
            section,
            csrf: self.csrf.clone(),
            notice: self.notice.clone(),
            user_name: self.me.user.display_name.clone(),
            role: self.me.user.role,
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
}

impl Shell {
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
        items.push(("media", "Media", "/admin/media"));
        if self.role.can(Action::ManageUsers) {
            items.push(("users", "Users", "/admin/users"));
        }
        if self.role.can(Action::ManageSettings) {
            items.push(("settings", "Settings", "/admin/settings"));
            items.push(("audit", "Audit log", "/admin/audit"));
        }
        items
    }

    /// The token to send with htmx requests, as the `data-hx-headers` JSON of the admin's `<main>`.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ crate::web::csrf::HEADER: self.csrf }).to_string()
    }
}

/// Page numbers for lists: `?page=` parsed, the offset, and links to the neighbouring pages
/// that keep the list's other query parameters.
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
    pub has_next: bool,
    /// `path?query` of the list, without `page`.
    base: String,
}

impl Paging {
    pub fn new(raw: Option<&str>, per_page: u32, path: &str, query: String) -> Paging {
        let page = crate::domain::pagination::PageNumber::parse(raw).map_or(1, |p| p.get());
        let base = if query.is_empty() { format!("{path}?") } else { format!("{path}?{query}&") };
        Paging { page, per_page, has_next: false, base }
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    /// Asks for one row more than shown, to know whether a next page exists.
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page) + 1
    }

    /// Keeps the page's rows and notes whether there were more.
    pub fn trim<T>(&mut self, mut rows: Vec<T>) -> Vec<T> {
        self.has_next = rows.len() > self.per_page as usize;
        rows.truncate(self.per_page as usize);
        rows
    }

    pub fn previous(&self) -> Option<String> {
        (self.page > 1).then(|| format!("{}page={}", self.base, self.page - 1))
    }

    pub fn next(&self) -> Option<String> {
        self.has_next.then(|| format!("{}page={}", self.base, self.page + 1))
    }
}

/// A query string of the `pairs` that have a value.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(key, value);
    }
    out.finish()
}

/// Parses an id from a form or query value; anything else is no id.
pub fn parse_id(raw: Option<&str>) -> Option<i64> {
    raw.and_then(|s| s.trim().parse().ok()).filter(|n: &i64| *n > 0)
}

pub fn routes() -> Vec<Route> {
    [
        dashboard::routes(),
        posts::routes(),
        bulk::routes(),
        editor::routes(),
        revisions::routes(),
        pages::routes(),
        terms::routes(),
        media::routes(),
        users::routes(),
        settings::routes(),
        audit::routes(),
    ]
    .concat()
}
