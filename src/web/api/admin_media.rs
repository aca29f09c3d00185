//! `/api/v1/admin/media`: upload a file (`multipart/form-data`, the same byte checks, size limit
//! and image handling as the admin's library, [`crate::media::upload`]) and delete one. Staff
//! upload; they delete their own files, editors and above anyone's.

use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::{State, delete, post};
use rocket_db_pools::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::ApiToken;
use super::body::{ApiResult, Versioned};
use super::problem::Problem;
use crate::config::Config;
use crate::db::FolioDb;
use crate::db::media::{self as rows, Media};
use crate::domain::api_tokens::Scope;
use crate::domain::media::{ALT_MAX, display_name};
use crate::domain::roles::Action;
use crate::domain::validation::long_text;
use crate::media::{self as store, Budget, Store, UploadError};
use crate::web::error::AppError;
use crate::web::view::LiveSite;

/// A stored file.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredMedia {
    pub id: i64,
    /// Its absolute URL; images also have resized copies at `/media/<width>/<name>`.
    #[schema(format = "uri")]
    pub url: String,
    /// The name it was uploaded with.
    pub original_name: String,
    pub content_type: String,
    /// `image` or `file`.
    pub kind: String,
    pub byte_size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// Widths of the resized copies, ascending.
    pub variants: Vec<u32>,
    pub alt: String,
}

/// The upload form: the file and, optionally, its description for readers who cannot see it.
#[derive(FromForm)]
pub struct Upload<'r> {
    file: Option<TempFile<'r>>,
    alt: Option<String>,
}

/// The upload's parts, as the OpenAPI document names them.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadParts {
    /// The file's bytes; its kind is read from them, not from its name or declared type.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Alternative text for an image (at most 1,000 characters).
    alt: Option<String>,
}

/// Uploads a file into the media library.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_upload_media",
    request_body(content = UploadParts, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = StoredMedia, headers(("Location" = String, description = "The file's URL"))),
        (status = 400, description = "The form could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `media` scope, or its owner is not staff", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is over `upload_limit`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `multipart/form-data`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file is refused (empty, of a kind not taken, or a damaged image), as `errors` says", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[post("/api/v1/admin/media", data = "<form>")]
pub async fn upload(
    db: Connection<FolioDb>,
    token: ApiToken,
    config: &State<Config>,
    media_store: &State<Store>,
    budget: &State<Budget>,
    live: &State<LiveSite>,
    form: Form<Upload<'_>>,
) -> ApiResult<Versioned> {
    let writer = token.writer_for(Scope::Media, Action::WriteOwnPosts)?;
    let form = form.into_inner();
    let alt = long_text(form.alt.as_deref().unwrap_or(""), ALT_MAX, "the description")
        .map_err(|reason| AppError::unprocessable("alt", reason))?
        .replace('\n', " ");
    let name = form
        .file
        .as_ref()
        .and_then(|file| file.raw_name())
        .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_owned())
        .unwrap_or_default();
    let limit = config.settings.upload_limit;
    let id = match store::upload(&db, media_store, budget, form.file.as_ref(), &name, limit, writer.user_id)
        .await
    {
        Ok(id) => id,
        Err(UploadError::Refused(reason)) => {
            return Err(AppError::unprocessable("file", reason.to_string()).into());
        }
        Err(UploadError::BrokenImage) => {
            return Err(AppError::unprocessable("file", UploadError::BrokenImage.to_string()).into());
        }
        Err(e) => return Err(AppError::internal(e).into()),
    };
    if !alt.is_empty() {
        rows::set_alt(&db, id, &alt).await?;
    }
    writer.audit(&db, "uploaded", &format!("file “{}”", display_name(&name)), "").await?;
    let m = rows::find(&db, id).await?.ok_or_else(AppError::not_found)?;
    let site = live.get();
    let url = site.url(&format!("/media/{}", m.stored_name));
    let json = serde_json::to_value(stored(&m, url.clone())).map_err(AppError::internal)?;
    Ok(Versioned { json, version: None, created: Some(url) })
}

fn stored(m: &Media, url: String) -> StoredMedia {
    StoredMedia {
        id: m.id,
        url,
        original_name: m.original_name.clone(),
        content_type: m.content_type.clone(),
        kind: m.kind.clone(),
        byte_size: m.byte_size,
        width: m.width,
        height: m.height,
        variants: m.variant_widths(),
        alt: m.alt.clone(),
    }
}

/// Deletes a file and its resized copies; posts that show it then show a broken image.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_media",
    params(("id" = i64, Path, description = "The file's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The token lacks the `media` scope, or the file is someone else's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such file", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[delete("/api/v1/admin/media/<id>")]
pub async fn remove(
    db: Connection<FolioDb>,
    token: ApiToken,
    media_store: &State<Store>,
    id: i64,
) -> ApiResult<Status> {
    let writer = token.writer_for(Scope::Media, Action::WriteOwnPosts)?;
    let m = rows::find(&db, id).await?.ok_or_else(AppError::not_found)?;
    if !writer.can(Action::EditAllContent) && m.uploaded_by != Some(writer.user_id) {
        return Err(AppError::forbidden().into());
    }
    store::remove(&db, media_store, &m).await.map_err(AppError::internal)?;
    writer.audit(&db, "deleted", &format!("file “{}”", m.original_name), "").await?;
    Ok(Status::NoContent)
}
