//! `/api/v1/posts`: published posts, newest first, with filters, `fields`, `include` and keyset
//! pagination (see [`crate::db::api`]).

use rocket::{FromForm, get};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::context::{Api, ApiJson};
use super::params::{Checks, next_cursor, select};
use super::problem::Problem;
use super::{ListMeta, Ref};
use crate::db::api::{self, ApiPost, Pick, PostFilter, PostKey};
use crate::domain::addresses::Kind;
use crate::domain::dates;
use crate::web::error::{AppError, AppResult};

/// A published post. With `fields`, only the named members are present, so the document marks
/// none as required (the answer to `fields=id` broke the schema while they were).
#[derive(Debug, Serialize, ToSchema)]
pub struct Post {
    #[schema(required = false)]
    pub id: i64,
    #[schema(required = false)]
    pub slug: String,
    #[schema(required = false)]
    pub title: String,
    /// The post's absolute URL on the site.
    #[schema(format = "uri", required = false)]
    pub url: String,
    #[schema(required = false)]
    pub excerpt: String,
    /// The body as written, in Markdown (CommonMark with GFM tables, footnotes, strikethrough).
    #[schema(required = false)]
    pub body_markdown: String,
    /// The body rendered and sanitised, as the site shows it.
    #[schema(required = false)]
    pub body_html: String,
    /// The cover image's absolute URL, if the post has one.
    #[schema(format = "uri")]
    pub cover_image: Option<String>,
    /// The cover image's alternative text (empty when decorative or absent).
    #[schema(required = false)]
    pub cover_alt: String,
    /// When the post went (or goes) live, RFC 3339 in UTC.
    #[schema(format = DateTime, required = false)]
    pub published_at: String,
    /// Its last save, RFC 3339 in UTC.
    #[schema(format = DateTime, required = false)]
    pub updated_at: String,
    /// The series the post belongs to, and its place in it.
    pub series: Option<SeriesPlace>,
    /// With `include=tags`: its tags, primary first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Ref>>,
    /// With `include=authors`: its author (a list, as a post may one day have several).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authors: Option<Vec<Ref>>,
}

/// Where a post sits in its series.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesPlace {
    pub slug: String,
    /// Its position in the series' reading order, if one was given.
    pub position: Option<i64>,
}

/// A page of posts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostList {
    pub posts: Vec<Post>,
    pub meta: ListMeta,
}

/// The top-level members `fields` may name.
const FIELDS: &[&str] = &[
    "id",
    "slug",
    "title",
    "url",
    "excerpt",
    "body_markdown",
    "body_html",
    "cover_image",
    "cover_alt",
    "published_at",
    "updated_at",
    "series",
    "tags",
    "authors",
];
/// What `include` may embed.
const INCLUDES: &[&str] = &["tags", "authors"];

/// The shape of a post answer: chosen fields and embedded relations.
#[derive(Debug, Default)]
struct Shape {
    fields: Option<Vec<String>>,
    tags: bool,
    authors: bool,
}

impl Shape {
    fn read(checks: &mut Checks, fields: Option<&str>, include: Option<&str>) -> Shape {
        let fields = checks.names("fields", fields, FIELDS);
        let include = checks.names("include", include, INCLUDES).unwrap_or_default();
        Shape {
            fields,
            tags: include.iter().any(|i| i == "tags"),
            authors: include.iter().any(|i| i == "authors"),
        }
    }

    fn render(&self, api: &Api, post: ApiPost) -> serde_json::Value {
        let tags = self
            .tags
            .then(|| post.tags().into_iter().map(|(id, t)| Ref { id, slug: t.slug, name: t.name }).collect());
        let authors = self.authors.then(|| {
            vec![Ref { id: post.author_id, slug: post.author_slug.clone(), name: post.author_name.clone() }]
        });
        let json = Post {
            id: post.id,
            url: api.site.url(&Kind::Post.path(&post.slug)),
            slug: post.slug,
            title: post.title,
            excerpt: post.excerpt,
            body_markdown: post.body_md,
            body_html: post.body_html,
            cover_image: post.cover_image.as_deref().map(|src| api.site.absolute(src)),
            cover_alt: post.cover_alt,
            published_at: dates::iso(post.published_at),
            updated_at: dates::iso(post.updated_at),
            series: post.series_slug.map(|slug| SeriesPlace { slug, position: post.series_position }),
            tags,
            authors,
        };
        select(serde_json::to_value(json).unwrap_or_default(), self.fields.as_deref())
    }
}

/// The list's query parameters. All are optional; bad values answer 400 naming each one.
#[derive(Debug, FromForm, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostQuery {
    /// Posts per page, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Where to continue: the `cursor` of a `meta.next` link, passed back as it is.
    pub cursor: Option<String>,
    /// Only posts with this tag (its slug).
    pub tag: Option<String>,
    /// Only posts by this author (their slug).
    pub author: Option<String>,
    /// Only posts in this series (its slug).
    pub series: Option<String>,
    /// Only posts published after this RFC 3339 date-time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub published_after: Option<String>,
    /// Only posts published before this RFC 3339 date-time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub published_before: Option<String>,
    /// Comma-separated top-level members to keep, e.g. `id,title,url`.
    pub fields: Option<String>,
    /// Comma-separated relations to embed: `tags`, `authors`.
    pub include: Option<String>,
}

/// Published posts, newest first (by `published_at`, then `id`), a page at a time.
#[utoipa::path(
    tag = "posts",
    operation_id = "list_posts",
    params(PostQuery),
    responses(
        (status = 200, description = "A page of posts; `meta.next` links the next one", body = PostList),
        (status = 400, description = "A parameter could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The content key is missing or wrong", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/posts?<q..>")]
pub async fn index(api: Api, q: PostQuery) -> AppResult<ApiJson> {
    let mut checks = Checks::default();
    let limit = checks.limit(q.limit.as_deref());
    let after: Option<PostKey> = checks.cursor(q.cursor.as_deref(), 2).map(|k| (k[0], k[1]));
    let filter = PostFilter {
        tag: q.tag.clone(),
        author: q.author.clone(),
        series: q.series.clone(),
        published_after: checks.date("published_after", q.published_after.as_deref()),
        published_before: checks.date("published_before", q.published_before.as_deref()),
    };
    let shape = Shape::read(&mut checks, q.fields.as_deref(), q.include.as_deref());
    checks.finish()?;
    // One row more than the page says whether there is a next page.
    let mut rows = api::posts(&api.db, api.now, &filter, &Pick::Page { after, limit: limit + 1 }).await?;
    let next = next_cursor(&mut rows, limit, |p| vec![p.key().0, p.key().1]).map(|cursor| {
        let limit = limit.to_string();
        api.link(
            "/api/v1/posts",
            &[
                ("limit", Some(&limit)),
                ("tag", q.tag.as_deref()),
                ("author", q.author.as_deref()),
                ("series", q.series.as_deref()),
                ("published_after", q.published_after.as_deref()),
                ("published_before", q.published_before.as_deref()),
                ("fields", q.fields.as_deref()),
                ("include", q.include.as_deref()),
                ("cursor", Some(&cursor)),
            ],
        )
    });
    let posts: Vec<serde_json::Value> = rows.into_iter().map(|p| shape.render(&api, p)).collect();
    Ok(ApiJson(serde_json::json!({ "posts": posts, "meta": ListMeta { limit, next } })))
}

/// One post's answer, or 404 when it is not visible.
async fn one(
    api: Api,
    pick: Pick<PostKey>,
    fields: Option<String>,
    include: Option<String>,
) -> AppResult<ApiJson> {
    let mut checks = Checks::default();
    let shape = Shape::read(&mut checks, fields.as_deref(), include.as_deref());
    checks.finish()?;
    let post = api::posts(&api.db, api.now, &PostFilter::default(), &pick).await?.into_iter().next();
    let post = post.ok_or_else(AppError::not_found)?;
    Ok(ApiJson(shape.render(&api, post)))
}

/// A published post by id.
#[utoipa::path(
    tag = "posts",
    operation_id = "show_post",
    params(
        ("id", description = "The post's id"),
        ("fields" = Option<String>, Query, description = "Comma-separated top-level members to keep"),
        ("include" = Option<String>, Query, description = "Comma-separated relations to embed: `tags`, `authors`"),
    ),
    responses(
        (status = 200, description = "The post", body = Post),
        (status = 400, description = "A parameter could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The content key is missing or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a whole number", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/posts/<id>?<fields>&<include>")]
pub async fn show(api: Api, id: i64, fields: Option<String>, include: Option<String>) -> AppResult<ApiJson> {
    one(api, Pick::Id(id), fields, include).await
}

/// A published post by slug.
#[utoipa::path(
    tag = "posts",
    operation_id = "show_post_by_slug",
    params(
        ("slug", description = "The post's slug"),
        ("fields" = Option<String>, Query, description = "Comma-separated top-level members to keep"),
        ("include" = Option<String>, Query, description = "Comma-separated relations to embed: `tags`, `authors`"),
    ),
    responses(
        (status = 200, description = "The post", body = Post),
        (status = 400, description = "A parameter could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The content key is missing or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published post has this slug", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/posts/slug/<slug>?<fields>&<include>")]
pub async fn show_slug(
    api: Api,
    slug: String,
    fields: Option<String>,
    include: Option<String>,
) -> AppResult<ApiJson> {
    one(api, Pick::Slug(slug), fields, include).await
}
