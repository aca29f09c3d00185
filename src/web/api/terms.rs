//! `/api/v1/tags`, `/api/v1/authors`, `/api/v1/series`: those with at least one visible post
//! (as the sitemap lists them), in id order, each with its number of visible posts.

use rocket::get;
use serde::Serialize;
use utoipa::ToSchema;

use super::ListMeta;
use super::context::{Api, ApiJson};
use super::params::{Checks, next_cursor};
use super::problem::Problem;
use crate::db::api::{self, ApiTerm, Pick};
use crate::domain::addresses::Kind;
use crate::web::error::{AppError, AppResult};

/// A tag, an author or a series.
#[derive(Debug, Serialize, ToSchema)]
pub struct Term {
    pub id: i64,
    pub slug: String,
    /// A tag's name, an author's display name, a series' title.
    pub name: String,
    /// A tag's or series' description, an author's bio.
    pub description: String,
    /// Its absolute URL on the site.
    #[schema(format = "uri")]
    pub url: String,
    /// How many posts readers can see in it now.
    pub post_count: i64,
}

/// A page of tags.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub tags: Vec<Term>,
    pub meta: ListMeta,
}

/// A page of authors.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorList {
    pub authors: Vec<Term>,
    pub meta: ListMeta,
}

/// A page of series.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesList {
    pub series: Vec<Term>,
    pub meta: ListMeta,
}

fn render(api: &Api, kind: Kind, term: ApiTerm) -> Term {
    Term {
        id: term.id,
        url: api.site.url(&kind.path(&term.slug)),
        slug: term.slug,
        name: term.name,
        description: term.description,
        post_count: term.posts,
    }
}

/// A page of `kind` after `cursor`, as `{"<plural>": [...], "meta": {...}}`.
async fn list(api: Api, kind: Kind, limit: Option<String>, cursor: Option<String>) -> AppResult<ApiJson> {
    let mut checks = Checks::default();
    let limit = checks.limit(limit.as_deref());
    let after = checks.cursor(cursor.as_deref(), 1).map(|k| k[0]);
    checks.finish()?;
    let mut rows = api::terms(&api.db, kind, api.now, &Pick::Page { after, limit: limit + 1 }).await?;
    let next = next_cursor(&mut rows, limit, |t| vec![t.id]).map(|cursor| {
        let limit = limit.to_string();
        api.link(&format!("/api/v1/{}", kind.plural()), &[("limit", Some(&limit)), ("cursor", Some(&cursor))])
    });
    let items: Vec<Term> = rows.into_iter().map(|t| render(&api, kind, t)).collect();
    Ok(ApiJson(serde_json::json!({ kind.plural(): items, "meta": ListMeta { limit, next } })))
}

async fn one(api: Api, kind: Kind, pick: Pick<i64>) -> AppResult<ApiJson> {
    let term = api::terms(&api.db, kind, api.now, &pick).await?.into_iter().next();
    let term = term.ok_or_else(AppError::not_found)?;
    Ok(ApiJson(serde_json::to_value(render(&api, kind, term)).map_err(AppError::internal)?))
}

/// The three handlers of one kind: the list, one by id, one by slug.
macro_rules! term_routes {
    ($kind:expr, $tag:literal, $list_body:ty,
     $index:ident = $index_path:literal, $show:ident = $show_path:literal, $slug:ident = $slug_path:literal) => {
        #[doc = concat!("Every ", $tag, " item with a visible post, in id order, a page at a time.")]
        #[utoipa::path(
            tag = $tag,
            params(
                ("limit" = Option<u32>, Query, description = "Items per page, 1 to 100 (default 20)", minimum = 1, maximum = 100),
                ("cursor" = Option<String>, Query, description = "Where to continue: the `cursor` of a `meta.next` link"),
            ),
            responses(
                (status = 200, description = "A page; `meta.next` links the next one", body = $list_body),
                (status = 400, description = "A parameter could not be read", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "The content key is missing or wrong", body = Problem, content_type = "application/problem+json"),
            ),
        )]
        #[get($index_path)]
        pub async fn $index(api: Api, limit: Option<String>, cursor: Option<String>) -> AppResult<ApiJson> {
            list(api, $kind, limit, cursor).await
        }

        #[doc = concat!("One of the ", $tag, " by id.")]
        #[utoipa::path(
            tag = $tag,
            params(("id", description = "Its id")),
            responses(
                (status = 200, description = "Found", body = Term),
                (status = 401, description = "The content key is missing or wrong", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "None with this id has a visible post", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "The id is not a whole number", body = Problem, content_type = "application/problem+json"),
            ),
        )]
        #[get($show_path)]
        pub async fn $show(api: Api, id: i64) -> AppResult<ApiJson> {
            one(api, $kind, Pick::Id(id)).await
        }

        #[doc = concat!("One of the ", $tag, " by slug.")]
        #[utoipa::path(
            tag = $tag,
            params(("slug", description = "Its slug")),
            responses(
                (status = 200, description = "Found", body = Term),
                (status = 401, description = "The content key is missing or wrong", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "None with this slug has a visible post", body = Problem, content_type = "application/problem+json"),
            ),
        )]
        #[get($slug_path)]
        pub async fn $slug(api: Api, slug: String) -> AppResult<ApiJson> {
            one(api, $kind, Pick::Slug(slug)).await
        }
    };
}

term_routes!(
    Kind::Tag,
    "tags",
    TagList,
    tags = "/api/v1/tags?<limit>&<cursor>",
    tag = "/api/v1/tags/<id>",
    tag_slug = "/api/v1/tags/slug/<slug>"
);
term_routes!(
    Kind::Author,
    "authors",
    AuthorList,
    authors = "/api/v1/authors?<limit>&<cursor>",
    author = "/api/v1/authors/<id>",
    author_slug = "/api/v1/authors/slug/<slug>"
);
term_routes!(
    Kind::Series,
    "series",
    SeriesList,
    series_index = "/api/v1/series?<limit>&<cursor>",
    series = "/api/v1/series/<id>",
    series_slug = "/api/v1/series/slug/<slug>"
);
