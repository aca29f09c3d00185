//! Conditional requests and compression for every GET route, in one response fairing, so a
//! route added later (a feed, the sitemap) gets them without asking.
//!
//! For a `200` answer to GET or HEAD whose body is already in memory, [`HttpCaching`]:
//! 1. leaves it alone if it is made for one visitor ([`headers::is_per_visitor`]): it keeps
//!    `Cache-Control: private, no-store` and gets neither a validator, which a shared cache
//!    could key on, nor compression, which with a secret (the CSRF token) beside reflected
//!    input opens the BREACH length oracle (breachattack.com);
//! 2. compresses a compressible body of at least [`encoding::MIN_SIZE`] bytes in the coding the
//!    client asks for, with `Vary: Accept-Encoding`;
//! 3. tags it with a strong `ETag` ([`conditions::entity_tag`]: the body's fingerprint plus the
//!    coding), or keeps the route's own tag (the static files') with the coding added;
//! 4. answers `304 Not Modified` when `If-None-Match` names that tag, or, only when there is no
//!    `If-None-Match`, when `If-Modified-Since` is no older than the route's `Last-Modified`
//!    (RFC 9110, section 13.2.2);
//! 5. adds `Cache-Control: public, max-age=0, must-revalidate` unless the route chose its own:
//!    any cache may keep the page but must ask each time, and the ask is a cheap 304. A short
//!    `s-maxage` would let a proxy serve a page up to that long after a post is unpublished;
//!    Folio's promise is that readers never see a stale page, so it is not used.
//!
//! Responses streamed from disk (media, with their byte ranges and `Accept-Ranges`) are not read
//! into memory and pass untouched. HEAD gets the very headers GET would (RFC 9110, section
//! 9.3.2), `Content-Length` included, so it is compressed too and Rocket drops the body.

pub mod conditions;
pub mod encoding;
pub mod freshness;
pub mod page_cache;

use std::io::Cursor;
use std::time::SystemTime;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Method, Status};
use rocket::tokio::io::AsyncReadExt;
use rocket::{Request, Response};

use crate::web::headers;
use encoding::Encoding;

/// The `Cache-Control` of a public page: stored anywhere, revalidated on every use.
pub const PUBLIC_REVALIDATE: &str = "public, max-age=0, must-revalidate";

/// Bodies above this are passed through unread; no page comes near it (a 10,000-post home page
/// is about 12 KB), and reading a large body whole to hash it would cost memory per request.
const MAX_BUFFERED: usize = 8 * 1024 * 1024;

/// Whether `res` is a `200` any reader may be given ([`headers::is_per_visitor`]), not yet
/// encoded, not a ranged stream, with its body in memory and at most `max` bytes: what this
/// module and the page cache work on.
pub(crate) fn shared_in_memory(req: &Request<'_>, res: &Response<'_>, max: usize) -> bool {
    res.status() == Status::Ok
        && !headers::is_per_visitor(req, res)
        && !res.headers().contains("Content-Encoding")
        && !res.headers().contains("Accept-Ranges")
        && res.body().preset_size().is_some_and(|size| size <= max)
}

/// Sets validators, answers preconditions and compresses; see the module's documentation.
pub struct HttpCaching;

#[rocket::async_trait]
impl Fairing for HttpCaching {
    fn info(&self) -> Info {
        Info { name: "Validators, 304 and compression", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        if !matches!(req.method(), Method::Get | Method::Head)
            || page_cache::served_from_cache(req)
            || !shared_in_memory(req, res, MAX_BUFFERED)
        {
            return;
        }
        let Some(body) = read_whole(res).await else { return };
        let negotiable = compressible(res, &body);
        let chosen = if negotiable {
            encoding::negotiate(req.headers().get("Accept-Encoding"))
        } else {
            Encoding::Identity
        };
        if negotiable {
            add_vary(res, "Accept-Encoding");
        }
        let fingerprint = identity_fingerprint(res, &body);
        let etag = conditions::entity_tag(&fingerprint, chosen);
        res.set_header(Header::new("ETag", etag.clone()));
        if !res.headers().contains("Cache-Control") {
            res.set_header(Header::new("Cache-Control", PUBLIC_REVALIDATE));
        }
        if not_modified(req, res, &etag) {
            make_not_modified(res);
            return;
        }
        let body = match chosen {
            Encoding::Identity => body,
            coding => match coding.compress(&body) {
                Ok(compressed) => {
                    if let Some(value) = coding.header_value() {
                        res.set_header(Header::new("Content-Encoding", value));
                    }
                    compressed
                }
                Err(e) => {
                    // Compressing into memory does not fail in practice; if it did, the plain
                    // body is still right, under its own tag.
                    rocket::error!("cannot compress a response: {e}");
                    res.set_header(Header::new(
                        "ETag",
                        conditions::entity_tag(&fingerprint, Encoding::Identity),
                    ));
                    body
                }
            },
        };
        set_whole_body(res, body);
    }
}

/// The body of `res`, read whole; `None` after turning the answer into a 500 when it cannot be
/// read. A body of known size is read into a buffer of that size: Rocket's `to_bytes` grows an
/// empty one by doubling, about ten reallocations and copies for a 13.7 KB page.
pub(crate) async fn read_whole(res: &mut Response<'_>) -> Option<Vec<u8>> {
    let mut body = Vec::with_capacity(res.body().preset_size().unwrap_or(0));
    match res.body_mut().read_to_end(&mut body).await {
        Ok(_) => Some(body),
        Err(e) => {
            rocket::error!("cannot read a response body: {e}");
            res.set_status(Status::InternalServerError);
            None
        }
    }
}

/// Whether `body`, the body of `res`, is worth compressing: large enough
/// ([`encoding::MIN_SIZE`]) and of a compressible media type.
pub(crate) fn compressible(res: &Response<'_>, body: &[u8]) -> bool {
    let media_type = res.content_type().map(|t| t.to_string()).unwrap_or_default();
    body.len() >= encoding::MIN_SIZE && encoding::compressible(&media_type)
}

/// The opaque part of the identity body's strong tag: the route's own when it set one (the
/// static files' content hash, so no second hash), else [`conditions::fingerprint`] of `body`.
pub(crate) fn identity_fingerprint(res: &Response<'_>, body: &[u8]) -> String {
    match res.headers().get_one("ETag") {
        Some(tag) => tag.trim_start_matches("W/").trim_matches('"').to_owned(),
        None => conditions::fingerprint(body),
    }
}

/// Whether the request's preconditions say the client's copy, tagged `etag`, is current.
pub(crate) fn not_modified(req: &Request<'_>, res: &Response<'_>, etag: &str) -> bool {
    let request = req.headers();
    if request.contains("If-None-Match") {
        let list = request.get("If-None-Match").collect::<Vec<_>>().join(",");
        return conditions::none_match_fails(&list, etag);
    }
    match (request.get_one("If-Modified-Since"), res.headers().get_one("Last-Modified")) {
        (Some(since), Some(modified)) => conditions::unmodified_since(since, modified, SystemTime::now()),
        _ => false,
    }
}

/// Turns `res` into a 304: it keeps the validators and caching headers, not the content's
/// (RFC 9110, section 15.4.5), and has no body at all. An empty body of size 0 would make Rocket
/// send `Content-Length: 0`, which a 304 may carry only when the 200 was empty too (section
/// 8.6); with none, hyper sends no length.
pub(crate) fn make_not_modified(res: &mut Response<'_>) {
    res.set_status(Status::NotModified);
    res.remove_header("Content-Type");
    res.set_streamed_body(rocket::tokio::io::empty());
}

/// Sets `body`, already in memory, to be sent in one piece. Rocket streams a body in chunks of
/// `Body::DEFAULT_MAX_CHUNK` (4 KiB), each handed to hyper's connection task through a channel
/// and written with a `writev` of its own: a 13.7 KB page took four system calls per request
/// (`strace -c` under wrk, issue 15). Bodies here are bounded ([`MAX_BUFFERED`]).
pub(crate) fn set_whole_body<'r, B>(res: &mut Response<'r>, body: B)
where
    B: AsRef<[u8]> + Send + Unpin + 'r,
{
    let len = body.as_ref().len();
    res.set_sized_body(len, Cursor::new(body));
    // One more than the body: Rocket's reader then sees the end in the buffer it read into,
    // instead of reserving a second one of the same size to find it.
    res.set_max_chunk_size((len + 1).max(rocket::response::Body::DEFAULT_MAX_CHUNK));
}

/// Adds `field` to the response's `Vary`, keeping what the route put there (`HX-Request`).
fn add_vary(res: &mut Response<'_>, field: &str) {
    let value = vary_with(res.headers().get("Vary"), field);
    res.set_header(Header::new("Vary", value));
}

/// The `Vary` value that lists `field` after the fields of `values` (each a `Vary` line).
pub(crate) fn vary_with<'a>(values: impl Iterator<Item = &'a str>, field: &str) -> String {
    let mut fields: Vec<&str> = values.flat_map(|v| v.split(',')).map(str::trim).collect();
    if !fields.iter().any(|f| f.eq_ignore_ascii_case(field)) {
        fields.push(field);
    }
    fields.join(", ")
}
