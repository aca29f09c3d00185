//! `/api/v1/pages`: published pages ("About", "Contact"), in id order.

use rocket::get;
use serde::Serialize;
use utoipa::ToSchema;

use super::ListMeta;
use super::context::{Api, ApiJson};
use super::params::{Checks, next_cursor, select};
use super::problem::Problem;
use crate::db::api::{self, ApiPage, Pick};
use crate::domain::addresses::Kind;
use crate::domain::dates;
use crate::web::error::{AppError, AppResult};

/// A published page. With `fields`, only the named members are present, so the document marks
/// none as required.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page {
    #[schema(required = false)]
    pub id: i64,
    #[schema(required = false)]
    pub slug: String,
    #[schema(required = false)]
    pub title: String,
    /// The page's absolute URL on the site.
    #[schema(format = "uri", required = false)]
    pub url: String,
    /// The body as written, in Markdown.
    #[schema(required = false)]
    pub body_markdown: String,
    /// The body rendered and sanitised, as the site shows it.
    #[schema(required = false)]
    pub body_html: String,
    /// When the page was created, RFC 3339 in UTC.
    #[schema(format = DateTime, required = false)]
    pub created_at: String,
    /// Its last save, RFC 3339 in UTC.
    #[schema(format = DateTime, required = false)]
    pub updated_at: String,
}

/// A page of pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageList {
    pub pages: Vec<Page>,
    pub meta: ListMeta,
}

const FIELDS: &[&str] =
    &["id", "slug", "title", "url", "body_markdown", "body_html", "created_at", "updated_at"];

fn render(api: &Api, page: ApiPage, fields: Option<&[String]>) -> serde_json::Value {
    let json = Page {
        id: page.id,
        url: api.site.url(&Kind::Page.path(&page.slug)),
        slug: page.slug,
        title: page.title,
        body_markdown: page.body_md,
        body_html: page.body_html,
        created_at: dates::iso(page.created_at),
        updated_at: dates::iso(page.updated_at),
    };
    select(serde_json::to_value(json).unwrap_or_default(), fields)
}

/// Published pages in id order, a page at a time.
#[utoipa::path(
    tag = "pages",
    operation_id = "list_pages",
    params(
        ("limit" = Option<u32>, Query, description = "Pages per page, 1 to 100 (default 20)", minimum = 1, maximum = 100),
        ("cursor" = Option<String>, Query, description = "Where to continue: the `cursor` of a `meta.next` link"),
        ("fields" = Option<String>, Query, description = "Comma-separated top-level members to keep"),
    ),
    responses(
        (status = 200, description = "A page of pages; `meta.next` links the next one", body = PageList),
        (status = 400, description = "A parameter could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The content key is missing or wrong", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/pages?<limit>&<cursor>&<fields>")]
pub async fn index(
    api: Api,
    limit: Option<String>,
    cursor: Option<String>,
    fields: Option<String>,
) -> AppResult<ApiJson> {
    let mut checks = Checks::default();
    let limit = checks.limit(limit.as_deref());
    let after = checks.cursor(cursor.as_deref(), 1).map(|k| k[0]);
    let chosen = checks.names("fields", fields.as_deref(), FIELDS);
    checks.finish()?;
    let mut rows = api::pages(&api.db, &Pick::Page { after, limit: limit + 1 }).await?;
    let next = next_cursor(&mut rows, limit, |p| vec![p.id]).map(|cursor| {
        let limit = limit.to_string();
        api.link(
            "/api/v1/pages",
            &[("limit", Some(&limit)), ("fields", fields.as_deref()), ("cursor", Some(&cursor))],
        )
    });
    let pages: Vec<serde_json::Value> =
        rows.into_iter().map(|p| render(&api, p, chosen.as_deref())).collect();
    Ok(ApiJson(serde_json::json!({ "pages": pages, "meta": ListMeta { limit, next } })))
}

async fn one(api: Api, pick: Pick<i64>, fields: Option<String>) -> AppResult<ApiJson> {
    let mut checks = Checks::default();
    let chosen = checks.names("fields", fields.as_deref(), FIELDS);
    checks.finish()?;
    let page = api::pages(&api.db, &pick).await?.into_iter().next().ok_or_else(AppError::not_found)?;
    Ok(ApiJson(render(&api, page, chosen.as_deref())))
}

/// A published page by id.
#[utoipa::path(
    tag = "pages",
    operation_id = "show_page",
    params(
        ("id", description = "The page's id"),
        ("fields" = Option<String>, Query, description = "Comma-separated top-level members to keep"),
    ),
    responses(
        (status = 200, description = "The page", body = Page),
        (status = 400, description = "A parameter could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The content key is missing or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published page has this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a whole number", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/pages/<id>?<fields>")]
pub async fn show(api: Api, id: i64, fields: Option<String>) -> AppResult<ApiJson> {
    one(api, Pick::Id(id), fields).await
}

/// A published page by slug.
#[utoipa::path(
    tag = "pages",
    operation_id = "show_page_by_slug",
    params(
        ("slug", description = "The page's slug"),
        ("fields" = Option<String>, Query, description = "Comma-separated top-level members to keep"),
    ),
    responses(
        (status = 200, description = "The page", body = Page),
        (status = 400, description = "A parameter could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The content key is missing or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published page has this slug", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/pages/slug/<slug>?<fields>")]
pub async fn show_slug(api: Api, slug: String, fields: Option<String>) -> AppResult<ApiJson> {
    one(api, Pick::Slug(slug), fields).await
}
