//! Serving uploaded media to readers. Names are generated, so a file never changes once served
//! and may be cached for a year. Images are shown inline; every other file downloads, and no
//! file is ever given a type that a browser would run. Files are streamed, never read whole, and
//! one byte range is answered (`Range`, RFC 9110 section 14), which video players need to seek.

use rocket::http::{ContentType, Header, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder, Response};
use rocket::{Route, State, get, routes};
use rocket_db_pools::Connection;

use crate::db::FolioDb;
use crate::db::media as rows;
use crate::domain::media::is_stored_name;
use crate::domain::media::range::{self, Answer};
use crate::media::stream::{self, Body, Downloads};
use crate::media::{Store, UploadError};
use crate::web::error::{AppError, AppResult};

/// The `Range` header when it may be answered: one of them, and no `If-Range`. Folio sends no
/// validator (ETag, Last-Modified) an `If-Range` could name, so its condition cannot be found
/// true and the range is ignored (RFC 9110, section 13.1.5).
pub struct RangeHeader(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RangeHeader {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let headers = req.headers();
        let mut ranges = headers.get("Range");
        let range = match (ranges.next(), ranges.next()) {
            (Some(range), None) if !headers.contains("If-Range") => Some(range.to_owned()),
            _ => None,
        };
        request::Outcome::Success(RangeHeader(range))
    }
}

/// A file, a part of one, or word that no part was asked for (416, no body).
pub struct MediaFile {
    status: Status,
    content_type: ContentType,
    headers: Vec<Header<'static>>,
    body: Option<(u64, Body)>,
}

impl<'r> Responder<'r, 'static> for MediaFile {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build();
        response.status(self.status).header(self.content_type);
        for header in self.headers {
            response.header(header);
        }
        if let Some((len, body)) = self.body {
            response.sized_body(usize::try_from(len).ok(), body);
        }
        Ok(response.finalize())
    }
}

async fn serve(
    db: &crate::db::Db,
    media_store: &Store,
    downloads: &Downloads,
    range: RangeHeader,
    name: &str,
    width: u32,
) -> AppResult<MediaFile> {
    if !is_stored_name(name) {
        return Err(AppError::not_found());
    }
    let m = rows::find_by_name(db, name).await?.ok_or_else(AppError::not_found)?;
    let opened = match stream::open(db, media_store, &m, width).await {
        Ok(opened) => opened,
        Err(UploadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(AppError::not_found());
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let len = opened.len;
    let content_type = ContentType::parse_flexible(&opened.content_type).unwrap_or(ContentType::Binary);
    let mut headers = vec![Header::new("Accept-Ranges", "bytes")];
    let (status, first, last) = match range::answer(range.0.as_deref(), len) {
        Answer::Whole => (Status::Ok, 0, len.saturating_sub(1)),
        Answer::Part { first, last } => {
            headers.push(Header::new("Content-Range", format!("bytes {first}-{last}/{len}")));
            (Status::PartialContent, first, last)
        }
        Answer::Unsatisfiable => {
            headers.push(Header::new("Content-Range", format!("bytes */{len}")));
            return Ok(MediaFile { status: Status::RangeNotSatisfiable, content_type, headers, body: None });
        }
    };
    let count = if len == 0 { 0 } else { last + 1 - first };
    let permit = downloads.start(count).map_err(|stream::Full| AppError::Busy)?;
    let body = opened.body(first, count, permit).await.map_err(AppError::internal)?;
    let filename = m.original_name.replace(['"', '\\'], "_");
    let disposition = if m.is_image() {
        format!("inline; filename=\"{filename}\"")
    } else {
        format!("attachment; filename=\"{filename}\"")
    };
    headers.extend([
        Header::new("Cache-Control", "public, max-age=31536000, immutable"),
        Header::new("Content-Disposition", disposition),
        // Even an image, opened on its own, may run nothing.
        Header::new("Content-Security-Policy", "default-src 'none'; sandbox"),
    ]);
    Ok(MediaFile { status, content_type, headers, body: Some((count, body)) })
}

#[get("/media/<name>", rank = 2)]
async fn original(
    db: Connection<FolioDb>,
    media_store: &State<Store>,
    downloads: &State<Downloads>,
    range: RangeHeader,
    name: &str,
) -> AppResult<MediaFile> {
    serve(&db, media_store, downloads, range, name, 0).await
}

/// A resized copy `width` pixels wide (or the original, when no such copy was made).
#[get("/media/<width>/<name>", rank = 2)]
async fn resized(
    db: Connection<FolioDb>,
    media_store: &State<Store>,
    downloads: &State<Downloads>,
    range: RangeHeader,
    width: &str,
    name: &str,
) -> AppResult<MediaFile> {
    // A malformed width names nothing: 404, like any other unknown address.
    let width = width.parse().map_err(|_| AppError::not_found())?;
    serve(&db, media_store, downloads, range, name, width).await
}

pub fn routes() -> Vec<Route> {
    routes![original, resized]
}
