//! `/api/v1/admin/pages`: static pages in either state, created, changed, published,
//! unpublished and deleted by editors and above, with the page editor's rules
//! ([`crate::domain::pages::check_page`]) and its optimistic locking (`If-Match`, 412).

use rocket::http::Status;
use rocket::{State, delete, get, patch, post};
use rocket_db_pools::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiToken;
use super::body::{ApiResult, IfMatch, JsonBody, Versioned};
use super::problem::Problem;
use super::writes::{PageMeta, paging, renamed};
use crate::db::admin_content::{self, AdminPage, Written};
use crate::db::{Db, FolioDb};
use crate::domain::addresses::Kind;
use crate::domain::api_tokens::Scope;
use crate::domain::clock::Clock;
use crate::domain::dates;
use crate::domain::pages::{PageInput, check_page};
use crate::domain::roles::Action;
use crate::domain::state::Publication;
use crate::domain::webhooks::Subject;
use crate::web::admin::pages::input_of;
use crate::web::error::AppError;
use crate::web::view::{LiveSite, Site};
use crate::webhooks;

/// A page as editors see it, in either state.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftPage {
    pub id: i64,
    /// `draft` or `published`.
    pub status: String,
    pub slug: String,
    pub title: String,
    /// The page's absolute URL on the site.
    #[schema(format = "uri")]
    pub url: String,
    pub body_markdown: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// Search engines are asked not to index it, and the sitemap leaves it out.
    pub noindex: bool,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Its version, also sent as the `ETag` `"v<version>"` for `If-Match`.
    pub version: i64,
}

fn draft_page(site: &Site, page: AdminPage) -> DraftPage {
    DraftPage {
        id: page.id,
        status: page.status.as_str().to_owned(),
        url: site.url(&Kind::Page.path(&page.slug)),
        slug: page.slug,
        title: page.title,
        body_markdown: page.body_md,
        seo_title: page.seo_title,
        seo_description: page.seo_description,
        noindex: page.noindex,
        updated_at: dates::iso(page.updated_at),
        version: page.version,
    }
}

async fn find(db: &Db, id: i64) -> ApiResult<AdminPage> {
    Ok(admin_content::page(db, id).await?.ok_or_else(AppError::not_found)?)
}

/// Page `id` as JSON with its version as `ETag`; `created` for a 201.
async fn answer(db: &Db, site: &Site, id: i64, created: bool) -> ApiResult<Versioned> {
    let page = find(db, id).await?;
    let version = Some(page.version);
    let json = serde_json::to_value(draft_page(site, page)).map_err(AppError::internal)?;
    let created = created.then(|| site.url(&format!("/api/v1/admin/pages/{id}")));
    Ok(Versioned { json, version, created })
}

/// The state a client asks a page to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PageStatus {
    Draft,
    Published,
}

/// A page's fields for a create or a change; on a change, a member left out keeps its value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageFields {
    pub title: Option<String>,
    /// The page's root path (`about` for `/about`); made from the title when empty on a new page.
    pub slug: Option<String>,
    pub body_markdown: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub noindex: Option<bool>,
    /// Left out: a new page is a draft, a saved one keeps its state.
    pub status: Option<PageStatus>,
}

impl PageFields {
    fn apply(self, mut input: PageInput) -> PageInput {
        let text = |target: &mut String, value: Option<String>| {
            if let Some(value) = value {
                *target = value;
            }
        };
        text(&mut input.title, self.title);
        text(&mut input.slug, self.slug);
        text(&mut input.body, self.body_markdown);
        text(&mut input.seo_title, self.seo_title);
        text(&mut input.seo_description, self.seo_description);
        if let Some(noindex) = self.noindex {
            input.noindex = noindex;
        }
        if let Some(status) = self.status {
            input.published = status == PageStatus::Published;
        }
        input
    }
}

/// A page of pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftPageList {
    pub pages: Vec<DraftPage>,
    pub meta: PageMeta,
}

/// Pages in either state, alphabetically.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_pages",
    params(
        ("limit" = Option<u32>, Query, description = "Pages per page, 1 to 100 (default 20)", minimum = 1, maximum = 100),
        ("page" = Option<u32>, Query, description = "The page of the list, from 1", minimum = 1),
    ),
    responses(
        (status = 200, description = "A page of pages; `meta.next` links the next one", body = DraftPageList),
        (status = 400, description = "A parameter could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `read` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[get("/api/v1/admin/pages?<limit>&<page>")]
pub async fn index(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    limit: Option<&str>,
    page: Option<&str>,
) -> ApiResult<Versioned> {
    token.writer_for(Scope::Read, Action::EditAllContent)?;
    let (limit, page) = paging(limit, page)?;
    let site = live.get();
    let mut rows = admin_content::pages(&db, "", limit + 1, (page - 1) * limit).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = more.then(|| site.url(&format!("/api/v1/admin/pages?limit={limit}&page={}", page + 1)));
    let pages = rows.into_iter().map(|p| draft_page(&site, p)).collect();
    let list = DraftPageList { pages, meta: PageMeta { limit, total: None, next } };
    Ok(Versioned {
        json: serde_json::to_value(list).map_err(AppError::internal)?,
        version: None,
        created: None,
    })
}

/// One page in either state, with its version as `ETag`.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_page",
    params(("id" = i64, Path, description = "The page's id")),
    responses(
        (status = 200, description = "The page", body = DraftPage, headers(("ETag" = String, description = "`\"v<version>\"`, for `If-Match`"))),
        (status = 403, description = "The token lacks the `read` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such page", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[get("/api/v1/admin/pages/<id>")]
pub async fn show(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    id: i64,
) -> ApiResult<Versioned> {
    token.writer_for(Scope::Read, Action::EditAllContent)?;
    answer(&db, &live.get(), id, false).await
}

/// Creates a page, a draft unless `status` is `published`.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_page",
    request_body = PageFields,
    responses(
        (status = 201, description = "Created", body = DraftPage, headers(("ETag" = String, description = "`\"v<version>\"`"), ("Location" = String, description = "The page's address in this API"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `pages` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix, listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[post("/api/v1/admin/pages", data = "<body>")]
pub async fn create(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    body: JsonBody<PageFields>,
) -> ApiResult<Versioned> {
    let writer = token.writer_for(Scope::Pages, Action::EditAllContent)?;
    let input = body.0.apply(PageInput::default());
    let site = live.get();
    let id = save(&db, &writer, &site, None, &input, clock.now()).await?;
    answer(&db, &site, id, true).await
}

/// Changes a page. `If-Match` must name the version the change started from.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_update_page",
    params(
        ("id" = i64, Path, description = "The page's id"),
        ("If-Match" = String, Header, description = "The page's `ETag` (`\"v<version>\"`), or `*` for any version"),
    ),
    request_body = PageFields,
    responses(
        (status = 200, description = "Saved", body = DraftPage, headers(("ETag" = String, description = "`\"v<version>\"`"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `pages` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such page", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The page changed since the version `If-Match` names", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix, listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[patch("/api/v1/admin/pages/<id>", data = "<body>")]
pub async fn update(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    if_match: IfMatch,
    id: i64,
    body: JsonBody<PageFields>,
) -> ApiResult<Versioned> {
    let writer = token.writer_for(Scope::Pages, Action::EditAllContent)?;
    let current = find(&db, id).await?;
    // The precondition before the body (RFC 9110, section 13.2.1); the save applies to this
    // version only, so a change made meanwhile is never written over, with `*` either.
    let version = if_match.resolve(current.version)?;
    let input = body.0.apply(input_of(&current));
    let site = live.get();
    let target = Target { id, version, was_visible: current.status == Publication::Published };
    save(&db, &writer, &site, Some(target), &input, clock.now()).await?;
    answer(&db, &site, id, false).await
}

/// The saved page a change applies to.
struct Target {
    id: i64,
    /// The version the change started from.
    version: i64,
    /// Whether readers could see it before the change (for the webhook event).
    was_visible: bool,
}

/// Checks and saves a page (`target`: `None` for a new one), writes the audit entry and queues
/// the webhook events; the page's id.
async fn save(
    db: &Db,
    writer: &crate::web::writing::Writer,
    site: &Site,
    target: Option<Target>,
    input: &PageInput,
    now: crate::domain::Timestamp,
) -> ApiResult<i64> {
    let draft = check_page(input)
        .map_err(|errors| AppError::Unprocessable(renamed(&errors, &[("body", "body_markdown")])))?;
    let at = target.as_ref().map(|t| (t.id, t.version));
    match admin_content::save_page(db, at, &draft, writer.user_id, now).await? {
        Written::Done(id) => {
            let verb = match (&target, draft.status) {
                (None, _) => "created",
                (Some(_), Publication::Published) => "updated",
                (Some(_), Publication::Draft) => "saved a draft of",
            };
            writer.audit(db, verb, &format!("page “{}”", draft.title), "").await?;
            let was_visible = target.map(|t| t.was_visible);
            webhooks::saved(db, &site.base_url, Subject::Page, id, was_visible, now).await?;
            Ok(id)
        }
        Written::SlugTaken => {
            Err(AppError::unprocessable("slug", "Another page already uses this slug; choose another.")
                .into())
        }
        Written::Conflict => Err(AppError::PreconditionFailed.into()),
    }
}

/// Deletes a page for good. `If-Match`, when sent, must name its current version.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_page",
    params(
        ("id" = i64, Path, description = "The page's id"),
        ("If-Match" = Option<String>, Header, description = "The page's `ETag`, to delete only that version"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The token lacks the `pages` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such page", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The page changed since the version `If-Match` names", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[delete("/api/v1/admin/pages/<id>")]
pub async fn remove(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    if_match: IfMatch,
    id: i64,
) -> ApiResult<Status> {
    let writer = token.writer_for(Scope::Pages, Action::EditAllContent)?;
    // Without `If-Match`, a change made meanwhile is no reason to refuse (a few tries).
    for _ in 0..3 {
        let page = find(&db, id).await?;
        let version = if_match.condition(page.version)?;
        let before = webhooks::Before::take(&db, &live.get().base_url, Subject::Page, &[id]).await?;
        if admin_content::delete_page(&db, id, version).await? {
            writer.audit(&db, "deleted", &format!("page “{}”", page.title), "").await?;
            before.emit(&db, clock.now()).await?;
            return Ok(Status::NoContent);
        }
        if if_match != IfMatch::Absent {
            return Err(AppError::PreconditionFailed.into());
        }
    }
    Err(AppError::PreconditionFailed.into())
}
