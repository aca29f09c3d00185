//! The JSON API (`/api/v1/…`, issue 14): the Content API (published posts, pages, tags, authors
//! and series, read-only), the write API under `/api/v1/admin/` (posts and pages in every state,
//! tags, series, media; [`admin_posts`] and its siblings), bearer-token authentication
//! ([`auth`]) and the token's own endpoints ([`me`]), with its OpenAPI 3.1 document (`/api/v1/openapi.json`) and a reference page (`/api`)
//! generated from the same handlers. Errors are RFC 9457 problem documents ([`problem`]).

pub mod admin_media;
pub mod admin_pages;
pub mod admin_posts;
pub mod admin_terms;
pub mod auth;
pub mod body;
pub mod context;
pub mod cors;
pub mod me;
pub mod pages;
pub mod params;
pub mod posts;
pub mod problem;
pub mod reference;
pub mod spec;
pub mod terms;
pub mod writes;

use rocket::{Request, Route, routes};
use serde::Serialize;
use utoipa::ToSchema;

/// Every route of the API; `crate::rocket` mounts them at `/`.
pub fn routes() -> Vec<Route> {
    routes![
        posts::index,
        posts::show,
        posts::show_slug,
        pages::index,
        pages::show,
        pages::show_slug,
        terms::tags,
        terms::tag,
        terms::tag_slug,
        terms::authors,
        terms::author,
        terms::author_slug,
        terms::series_index,
        terms::series,
        terms::series_slug,
        admin_posts::index,
        admin_posts::show,
        admin_posts::create,
        admin_posts::update,
        admin_posts::remove,
        admin_pages::index,
        admin_pages::show,
        admin_pages::create,
        admin_pages::update,
        admin_pages::remove,
        admin_terms::show_tag,
        admin_terms::show_series,
        admin_terms::create_tag,
        admin_terms::update_tag,
        admin_terms::delete_tag,
        admin_terms::create_series,
        admin_terms::update_series,
        admin_terms::delete_series,
        admin_media::upload,
        admin_media::remove,
        me::me,
        me::revoke_current,
        spec::openapi,
        reference::index,
    ]
}

/// Whether `req` is addressed to the API (errors then answer as problem documents).
pub fn is_api(req: &Request<'_>) -> bool {
    req.uri().path().as_str().starts_with("/api/")
}

/// A list's paging: its page size, and the absolute URL of the next page (the same filters,
/// with a cursor), or `null` on the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    pub limit: i64,
    #[schema(format = "uri")]
    pub next: Option<String>,
}

/// A tag or an author embedded in a post (`include=tags,authors`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Ref {
    pub id: i64,
    pub slug: String,
    /// A tag's name or an author's display name.
    pub name: String,
}
