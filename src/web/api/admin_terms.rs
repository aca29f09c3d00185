//! `/api/v1/admin/tags` and `/api/v1/admin/series`: create, rename and delete tags and series,
//! with the admin's rules ([`crate::domain::pages::check_term`]). A token needs the `posts` scope
//! (terms only sort posts), and its owner the right to manage them (editors and above).

use rocket::http::Status;
use rocket::{State, delete, get, patch, post};
use rocket_db_pools::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiToken;
use super::body::{ApiResult, JsonBody, Versioned};
use super::problem::Problem;
use crate::db::admin_content::{self, Term, Vocabulary, Written};
use crate::db::{Db, FolioDb};
use crate::domain::api_tokens::Scope;
use crate::domain::clock::Clock;
use crate::domain::pages::check_term;
use crate::domain::roles::Action;
use crate::web::error::AppError;
use crate::web::view::LiveSite;

/// A tag or a series as stored, with how many posts it holds (drafts included).
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredTerm {
    pub id: i64,
    pub slug: String,
    /// A tag's name or a series' title.
    pub name: String,
    pub description: String,
    pub posts: i64,
}

/// A tag's or series' fields; on a change, a member left out keeps its value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermFields {
    /// A tag's name or a series' title.
    pub name: Option<String>,
    /// Made from the name when empty.
    pub slug: Option<String>,
    pub description: Option<String>,
}

fn words(kind: Vocabulary) -> (&'static str, &'static str) {
    match kind {
        Vocabulary::Tags => ("tag", "tags"),
        Vocabulary::Series => ("series", "series"),
    }
}

/// Creates (`id` None) or changes a term, writes the audit entry, and answers with it.
async fn save(
    db: &Db,
    token: &ApiToken,
    site: &LiveSite,
    kind: Vocabulary,
    id: Option<i64>,
    fields: TermFields,
    now: crate::domain::Timestamp,
) -> ApiResult<Versioned> {
    let writer = token.writer_for(Scope::Posts, Action::ManageTaxonomy)?;
    let current = match id {
        Some(id) => Some(admin_content::term(db, kind, id).await?.ok_or_else(AppError::not_found)?),
        None => None,
    };
    let pick =
        |given: Option<String>, saved: Option<&str>| given.unwrap_or_else(|| saved.unwrap_or("").to_owned());
    let name = pick(fields.name, current.as_ref().map(|t| t.name.as_str()));
    let slug = pick(fields.slug, current.as_ref().map(|t| t.slug.as_str()));
    let description = pick(fields.description, current.as_ref().map(|t| t.description.as_str()));
    let (name, slug, description) = check_term(&name, &slug, &description)
        .map_err(|errors| AppError::Unprocessable(super::writes::renamed(&errors, &[])))?;
    let (singular, plural) = words(kind);
    let saved = match admin_content::save_term(db, kind, id, (&name, &slug, &description), now).await? {
        Written::Done(saved) => saved,
        Written::SlugTaken => {
            return Err(AppError::unprocessable(
                "slug",
                format!("Another {singular} already uses this slug."),
            )
            .into());
        }
        Written::Conflict => return Err(AppError::not_found().into()),
    };
    let verb = if id.is_some() { "updated" } else { "created" };
    writer.audit(db, verb, &format!("{singular} “{name}”"), "").await?;
    let term = admin_content::term(db, kind, saved).await?.ok_or_else(AppError::not_found)?;
    let created = id.is_none().then(|| site.get().url(&format!("/api/v1/admin/{plural}/{saved}")));
    Ok(Versioned {
        json: serde_json::to_value(stored(term)).map_err(AppError::internal)?,
        version: None,
        created,
    })
}

fn stored(t: Term) -> StoredTerm {
    StoredTerm { id: t.id, slug: t.slug, name: t.name, description: t.description, posts: t.posts }
}

/// Deletes a term: its posts lose the tag, or leave the series.
async fn remove(db: &Db, token: &ApiToken, kind: Vocabulary, id: i64) -> ApiResult<Status> {
    let writer = token.writer_for(Scope::Posts, Action::ManageTaxonomy)?;
    let term = admin_content::term(db, kind, id).await?.ok_or_else(AppError::not_found)?;
    admin_content::delete_term(db, kind, id).await?;
    writer.audit(db, "deleted", &format!("{} “{}”", words(kind).0, term.name), "").await?;
    Ok(Status::NoContent)
}

/// One term as stored, for any staff member's token with the `read` scope.
async fn show(db: &Db, token: &ApiToken, kind: Vocabulary, id: i64) -> ApiResult<Versioned> {
    token.writer_for(Scope::Read, Action::WriteOwnPosts)?;
    let term = admin_content::term(db, kind, id).await?.ok_or_else(AppError::not_found)?;
    Ok(Versioned {
        json: serde_json::to_value(stored(term)).map_err(AppError::internal)?,
        version: None,
        created: None,
    })
}

/// One tag, with how many posts hold it (drafts included).
#[utoipa::path(
    tag = "admin", operation_id = "admin_get_tag",
    params(("id" = i64, Path, description = "The tag's id")),
    responses(
        (status = 200, description = "The tag", body = StoredTerm),
        (status = 403, description = "The token lacks the `read` scope, or its owner is not staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tag", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[get("/api/v1/admin/tags/<id>")]
pub async fn show_tag(db: Connection<FolioDb>, token: ApiToken, id: i64) -> ApiResult<Versioned> {
    show(&db, &token, Vocabulary::Tags, id).await
}

/// One series, with how many posts it holds (drafts included).
#[utoipa::path(
    tag = "admin", operation_id = "admin_get_series",
    params(("id" = i64, Path, description = "The series' id")),
    responses(
        (status = 200, description = "The series", body = StoredTerm),
        (status = 403, description = "The token lacks the `read` scope, or its owner is not staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such series", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[get("/api/v1/admin/series/<id>")]
pub async fn show_series(db: Connection<FolioDb>, token: ApiToken, id: i64) -> ApiResult<Versioned> {
    show(&db, &token, Vocabulary::Series, id).await
}

/// Creates a tag.
#[utoipa::path(
    tag = "admin", operation_id = "admin_create_tag", request_body = TermFields,
    responses(
        (status = 201, description = "Created", body = StoredTerm, headers(("Location" = String, description = "The tag's address in this API"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `posts` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix, listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[post("/api/v1/admin/tags", data = "<body>")]
pub async fn create_tag(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    body: JsonBody<TermFields>,
) -> ApiResult<Versioned> {
    save(&db, &token, live, Vocabulary::Tags, None, body.0, clock.now()).await
}

/// Renames a tag, or changes its slug or description.
#[utoipa::path(
    tag = "admin", operation_id = "admin_update_tag", request_body = TermFields,
    params(("id" = i64, Path, description = "The tag's id")),
    responses(
        (status = 200, description = "Saved", body = StoredTerm),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `posts` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tag", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix, listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[patch("/api/v1/admin/tags/<id>", data = "<body>")]
pub async fn update_tag(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    id: i64,
    body: JsonBody<TermFields>,
) -> ApiResult<Versioned> {
    save(&db, &token, live, Vocabulary::Tags, Some(id), body.0, clock.now()).await
}

/// Deletes a tag; its posts lose it.
#[utoipa::path(
    tag = "admin", operation_id = "admin_delete_tag",
    params(("id" = i64, Path, description = "The tag's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The token lacks the `posts` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tag", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[delete("/api/v1/admin/tags/<id>")]
pub async fn delete_tag(db: Connection<FolioDb>, token: ApiToken, id: i64) -> ApiResult<Status> {
    remove(&db, &token, Vocabulary::Tags, id).await
}

/// Creates a series.
#[utoipa::path(
    tag = "admin", operation_id = "admin_create_series", request_body = TermFields,
    responses(
        (status = 201, description = "Created", body = StoredTerm, headers(("Location" = String, description = "The series' address in this API"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `posts` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix, listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[post("/api/v1/admin/series", data = "<body>")]
pub async fn create_series(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    body: JsonBody<TermFields>,
) -> ApiResult<Versioned> {
    save(&db, &token, live, Vocabulary::Series, None, body.0, clock.now()).await
}

/// Renames a series, or changes its slug or description.
#[utoipa::path(
    tag = "admin", operation_id = "admin_update_series", request_body = TermFields,
    params(("id" = i64, Path, description = "The series' id")),
    responses(
        (status = 200, description = "Saved", body = StoredTerm),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `posts` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such series", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix, listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[patch("/api/v1/admin/series/<id>", data = "<body>")]
pub async fn update_series(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    id: i64,
    body: JsonBody<TermFields>,
) -> ApiResult<Versioned> {
    save(&db, &token, live, Vocabulary::Series, Some(id), body.0, clock.now()).await
}

/// Deletes a series; its posts leave it.
#[utoipa::path(
    tag = "admin", operation_id = "admin_delete_series",
    params(("id" = i64, Path, description = "The series' id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The token lacks the `posts` scope, or its owner is below editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such series", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[delete("/api/v1/admin/series/<id>")]
pub async fn delete_series(db: Connection<FolioDb>, token: ApiToken, id: i64) -> ApiResult<Status> {
    remove(&db, &token, Vocabulary::Series, id).await
}
