//! Serving uploaded media to readers. Names are generated, so a file never changes once served
//! and may be cached for a year. Images are shown inline; every other file downloads, and no
//! file is ever given a type that a browser would run.

use rocket::http::{ContentType, Header};
use rocket::{Responder, Route, State, get, routes};
use rocket_db_pools::Connection;

use crate::db::FolioDb;
use crate::db::media as rows;
use crate::domain::media::is_stored_name;
use crate::error::{AppError, AppResult};
use crate::media::{self as store, Store, UploadError};

#[derive(Responder)]
pub struct MediaFile {
    body: Vec<u8>,
    content_type: ContentType,
    cache: Header<'static>,
    disposition: Header<'static>,
    /// Even an image, opened on its own, may run nothing.
    csp: Header<'static>,
}

async fn serve(db: &crate::db::Db, media_store: &Store, name: &str, width: u32) -> AppResult<MediaFile> {
    if !is_stored_name(name) {
        return Err(AppError::not_found());
    }
    let m = rows::find_by_name(db, name).await?.ok_or_else(AppError::not_found)?;
    let (content_type, body) = match store::read(db, media_store, &m, width).await {
        Ok(found) => found,
        Err(UploadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(AppError::not_found());
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let content_type = ContentType::parse_flexible(&content_type).unwrap_or(ContentType::Binary);
    let filename = m.original_name.replace(['"', '\\'], "_");
    let disposition = if m.is_image() {
        format!("inline; filename=\"{filename}\"")
    } else {
        format!("attachment; filename=\"{filename}\"")
    };
    Ok(MediaFile {
        body,
        content_type,
        cache: Header::new("Cache-Control", "public, max-age=31536000, immutable"),
        disposition: Header::new("Content-Disposition", disposition),
        csp: Header::new("Content-Security-Policy", "default-src 'none'; sandbox"),
    })
}

#[get("/media/<name>", rank = 2)]
async fn original(db: Connection<FolioDb>, media_store: &State<Store>, name: &str) -> AppResult<MediaFile> {
    serve(&db, media_store, name, 0).await
}

/// A resized copy `width` pixels wide (or the original, when no such copy was made).
#[get("/media/<width>/<name>", rank = 2)]
async fn resized(
    db: Connection<FolioDb>,
    media_store: &State<Store>,
    width: &str,
    name: &str,
) -> AppResult<MediaFile> {
    // A malformed width names nothing: 404, like any other unknown address.
    let width = width.parse().map_err(|_| AppError::not_found())?;
    serve(&db, media_store, name, width).await
}

pub fn routes() -> Vec<Route> {
    routes![original, resized]
}
