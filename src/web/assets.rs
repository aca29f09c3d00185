//! Static files (CSS, vendored htmx, images) embedded in the binary and served with long-lived
//! caching when requested with their content hash (`?v=…`), which templates always do.

use std::borrow::Cow;
use std::path::PathBuf;

use rocket::http::{ContentType, Header};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{Route, get, routes};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Files;

/// The cache-busting version of an embedded file: the start of its SHA-256, in hex.
fn version(file: &rust_embed::EmbeddedFile) -> String {
    file.metadata.sha256_hash()[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The URL of an embedded file, with its version so browsers may cache it for a year.
pub fn url(path: &str) -> String {
    match Files::get(path) {
        Some(file) => format!("/static/{path}?v={}", version(&file)),
        None => format!("/static/{path}"),
    }
}

pub struct StaticFile {
    body: Cow<'static, [u8]>,
    content_type: ContentType,
    etag: String,
    immutable: bool,
    not_modified: bool,
}

impl<'r> Responder<'r, 'static> for StaticFile {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let cache =
            if self.immutable { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
        let mut res = Response::build();
        res.header(Header::new("Cache-Control", cache)).header(Header::new("ETag", self.etag));
        if self.not_modified {
            let mut res = res.finalize();
            crate::web::http::make_not_modified(&mut res);
            return Ok(res);
        }
        res.header(self.content_type).sized_body(self.body.len(), std::io::Cursor::new(self.body)).ok()
    }
}

/// Conditional-request support: the client's `If-None-Match`, if any.
pub struct IfNoneMatch(Option<String>);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for IfNoneMatch {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> rocket::request::Outcome<Self, Self::Error> {
        rocket::request::Outcome::Success(IfNoneMatch(
            req.headers().get_one("If-None-Match").map(str::to_owned),
        ))
    }
}

#[get("/static/<path..>?<v>")]
fn file(path: PathBuf, v: Option<&str>, if_none_match: IfNoneMatch) -> Option<StaticFile> {
    let path = path.to_str()?;
    let file = Files::get(path)?;
    let hash = version(&file);
    let etag = format!("\"{hash}\"");
    let content_type = path
        .rsplit_once('.')
        .and_then(|(_, ext)| ContentType::from_extension(ext))
        .unwrap_or(ContentType::Binary);
    Some(StaticFile {
        not_modified: if_none_match.0.as_deref() == Some(etag.as_str()),
        immutable: v == Some(hash.as_str()),
        body: file.data,
        content_type,
        etag,
    })
}

pub fn routes() -> Vec<Route> {
    routes![file]
}
