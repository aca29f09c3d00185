//! The page cache (issue 15): rendered public answers kept in memory and served again without
//! rendering, never stale.
//!
//! - **What is stored:** a `200` answer to a GET that is the same for every signed-out reader:
//!   not marked per visitor, no `Set-Cookie`, no `Cache-Control: private` or `no-store`
//!   ([`crate::web::headers::is_per_visitor`]), asked without a session or flash cookie and
//!   without `Authorization` (RFC 9111, section 3.5), for a path with no
//!   query or only `page=<number>` (so a flood of made-up query strings stores nothing), at most
//!   [`MAX_ENTRY`] bytes. Keyed by path and query and `HX-Request`; the body is stored once with
//!   its fingerprint, and each compressed variant is made on first use and kept.
//! - **Never stale:** an entry carries the content generation and next scheduled publication
//!   ([`Freshness`]) read *before* it was rendered, and is served only while the generation this
//!   process knows ([`LiveFreshness`]) is the same and the publication time has not come.
//!   Every write to public content bumps the generation in its own transaction (migrations 0010
//!   and 0013).
//! - **Bounded by bytes** (`page_cache` in `Rocket.toml`, 0 turns it off), with moka's
//!   TinyLFU eviction.
//! - Every answer says what the cache did in `Cache-Status` (RFC 9211): `folio; hit`,
//!   `folio; fwd=miss; stored`, or `folio; fwd=uri-miss` when it may not be cached.

use std::sync::{Arc, OnceLock};

use moka::sync::Cache;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Method, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder, Response};
use rocket::{Data, Route};
use rocket_db_pools::Database;

use super::encoding::{self, Encoding};
use super::freshness::LiveFreshness;
use super::{
    PUBLIC_REVALIDATE, compressible, conditions, identity_fingerprint, not_modified, read_whole,
    set_whole_body, shared_in_memory, vary_with,
};
use crate::db::FolioDb;
use crate::db::generation::Freshness;
use crate::domain::clock::Clock;

/// The largest answer stored, in bytes: pages and feeds are tens of kilobytes; a larger answer
/// would crowd out many pages for one.
pub const MAX_ENTRY: usize = 1024 * 1024;

/// The cookies that make a page someone's own: the session's, and the flash message's.
const PERSONAL_COOKIES: [&str; 2] = ["folio_session", "_flash"];

/// Which answer: the path with its query, and whether htmx asked for a fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    path: String,
    hx: bool,
}

/// A stored answer.
pub struct Page {
    freshness: Freshness,
    /// The route's headers (and the security headers), replayed on every hit.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The opaque part of the identity body's strong `ETag` ([`conditions::fingerprint`]).
    fingerprint: String,
    compressible: bool,
    /// Brotli, zstd and gzip, each made on first use.
    variants: [OnceLock<Option<Vec<u8>>>; 3],
}

impl Page {
    fn size(&self) -> usize {
        self.body.len() + self.headers.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>()
    }

    /// The body in `coding`, compressed once; `None` when compressing failed (the identity
    /// body is sent then).
    fn body_in(&self, coding: Encoding) -> Option<&[u8]> {
        let slot = match coding {
            Encoding::Identity => return Some(&self.body),
            Encoding::Brotli => &self.variants[0],
            Encoding::Zstd => &self.variants[1],
            Encoding::Gzip => &self.variants[2],
        };
        slot.get_or_init(|| coding.compress(&self.body).ok()).as_deref()
    }
}

/// The cache, in Rocket's managed state.
pub struct PageCache {
    entries: Option<Cache<PageKey, Arc<Page>>>,
}

impl PageCache {
    /// A cache of about `bytes` (0: none).
    pub fn new(bytes: u64) -> PageCache {
        let entries = (bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(bytes)
                .weigher(|key: &PageKey, page: &Arc<Page>| {
                    u32::try_from(key.path.len() + page.size()).unwrap_or(u32::MAX)
                })
                .build()
        });
        PageCache { entries }
    }

    /// The bytes held now, after pending evictions (for tests and metrics).
    pub fn weighted_size(&self) -> u64 {
        self.entries.as_ref().map_or(0, |e| {
            e.run_pending_tasks();
            e.weighted_size()
        })
    }

    /// The key of `req`'s answer, when it may come from or go into the cache.
    fn key(&self, req: &Request<'_>) -> Option<PageKey> {
        self.entries.as_ref()?;
        // An answer to a request with credentials is that client's (RFC 9111, section 3.5):
        // a bearer token reaches the route, which decides what the token may see.
        if !matches!(req.method(), Method::Get | Method::Head)
            || PERSONAL_COOKIES.iter().any(|name| req.cookies().get(name).is_some())
            || req.headers().contains("Authorization")
        {
            return None;
        }
        let uri = req.uri();
        let path = uri.path().as_str();
        let query = uri.query().map(|q| q.as_str());
        let page_number = |q: &str| {
            q.strip_prefix("page=")
                .is_some_and(|n| (1..=6).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
        };
        if path.len() > 512 || query.is_some_and(|q| !page_number(q)) {
            return None;
        }
        let path = match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        };
        Some(PageKey { path, hx: req.headers().contains("HX-Request") })
    }
}

/// What the lookup decided for this request, for the fairing that stores the answer.
enum Lookup {
    /// Not cacheable (or no cache).
    Bypass,
    /// Served from the cache.
    Hit,
    /// Render it, then store it under this key with the freshness read before rendering.
    Miss(PageKey, Freshness),
}

struct Decided(std::sync::Mutex<Option<Lookup>>);

fn decided<'r>(req: &'r Request<'_>) -> &'r Decided {
    req.local_cache(|| Decided(std::sync::Mutex::new(None)))
}

fn decide(req: &Request<'_>, lookup: Lookup) {
    if let Ok(mut slot) = decided(req).0.lock() {
        *slot = Some(lookup);
    }
}

/// Whether this request was answered from the cache (the validators and compression fairing
/// then leaves the answer alone: the cache did both).
pub fn served_from_cache(req: &Request<'_>) -> bool {
    decided(req).0.lock().is_ok_and(|slot| matches!(*slot, Some(Lookup::Hit)))
}

/// A current entry for the request, or a forward to the routes that render it.
pub struct Hit(Arc<Page>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Hit {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let rocket = req.rocket();
        let (Some(cache), Some(live), Some(clock)) =
            (rocket.state::<PageCache>(), rocket.state::<LiveFreshness>(), rocket.state::<Clock>())
        else {
            return request::Outcome::Forward(Status::NotFound);
        };
        let Some(key) = cache.key(req) else {
            decide(req, Lookup::Bypass);
            return request::Outcome::Forward(Status::NotFound);
        };
        let freshness = live.snapshot();
        let now = clock.now();
        let current = |page: &Page| {
            freshness.generation >= 0
                && page.freshness.generation == freshness.generation
                && page.freshness.next_publication.is_none_or(|at| now < at)
        };
        match cache.entries.as_ref().and_then(|entries| entries.get(&key)) {
            Some(page) if current(&page) => {
                decide(req, Lookup::Hit);
                request::Outcome::Success(Hit(page))
            }
            _ => {
                decide(req, Lookup::Miss(key, freshness));
                request::Outcome::Forward(Status::NotFound)
            }
        }
    }
}

/// The entry a hit answers with, held by the request so the answer can borrow its headers and
/// body instead of cloning them (Rocket still copies the body once, into the chunk it sends).
struct Serving(Arc<Page>);

impl<'r> Responder<'r, 'r> for Hit {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'r> {
        let Hit(entry) = self;
        let page: &'r Page = &req.local_cache(move || Serving(entry)).0;
        let mut res = Response::new();
        for (name, value) in &page.headers {
            res.adjoin_header(Header::new(name.as_str(), value.as_str()));
        }
        let mut coding = Encoding::Identity;
        if page.compressible {
            coding = encoding::negotiate(req.headers().get("Accept-Encoding"));
        }
        let body = page.body_in(coding).unwrap_or_else(|| {
            coding = Encoding::Identity;
            &page.body
        });
        let etag = conditions::entity_tag(&page.fingerprint, coding);
        let fresh = not_modified(req, &res, &etag);
        res.set_header(Header::new("ETag", etag));
        res.set_header(Header::new("Cache-Status", "folio; hit"));
        if fresh {
            super::make_not_modified(&mut res);
            return Ok(res);
        }
        if let Some(value) = coding.header_value() {
            res.set_header(Header::new("Content-Encoding", value));
        }
        set_whole_body(&mut res, body);
        Ok(res)
    }
}

/// The headers a hit repeats: the route's and the security headers as they are now, with the
/// `Vary` and `Cache-Control` the validators fairing would add ([`super::HttpCaching`]) already
/// in, so a hit sets nothing but its tag and coding. Each header set costs a SipHash of its
/// name in Rocket's header map, a fifth of a hit's instructions before this (callgrind).
fn replayed_headers(res: &Response<'_>, compressible: bool) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .filter(|h| !matches!(h.name().as_str(), "ETag" | "Content-Length" | "Cache-Status" | "Vary"))
        .map(|h| (h.name().to_string(), h.value().to_owned()))
        .collect();
    let vary = res.headers().get("Vary");
    if compressible {
        headers.push(("Vary".to_owned(), vary_with(vary, "Accept-Encoding")));
    } else {
        headers.extend(vary.map(|v| ("Vary".to_owned(), v.to_owned())));
    }
    if !res.headers().contains("Cache-Control") {
        headers.push(("Cache-Control".to_owned(), PUBLIC_REVALIDATE.to_owned()));
    }
    headers
}

/// `freshness` cut short at the answer's `Expires` (RFC 9111, section 5.3), when it has one: a
/// page that says "5 minutes ago" is not served once that is no longer true. An `Expires` that
/// is not a date means already expired (section 5.3 again), so the entry is never served.
fn until_expires(freshness: Freshness, expires: Option<&str>) -> Freshness {
    let Some(expires) = expires else { return freshness };
    let at = httpdate::parse_http_date(expires.trim())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let next = freshness.next_publication.map_or(at, |n| n.min(at));
    Freshness { next_publication: Some(next), ..freshness }
}

/// Answers from the cache before any other route is tried (rank -100, below Rocket's default
/// ranks of -12 to -1); forwards on a miss or when the request may not use the cache.
#[derive(Clone)]
struct Serve;

#[rocket::async_trait]
impl rocket::route::Handler for Serve {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> rocket::route::Outcome<'r> {
        match Hit::from_request(req).await {
            request::Outcome::Success(hit) => rocket::route::Outcome::from(req, hit),
            _ => rocket::route::Outcome::forward(data, Status::NotFound),
        }
    }
}

pub fn routes() -> Vec<Route> {
    vec![Route::ranked(-100, Method::Get, "/<_..>", Serve)]
}

/// Stores what may be stored, and reads the generation again after every request that may have
/// written. Attached after the security headers (so they are stored and replayed) and before
/// the validators and compression fairing (so the identity body is stored).
pub struct PageCacheFairing;

#[rocket::async_trait]
impl Fairing for PageCacheFairing {
    fn info(&self) -> Info {
        Info { name: "Page cache", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let rocket = req.rocket();
        if !matches!(req.method(), Method::Get | Method::Head | Method::Options) {
            if let (Some(db), Some(live), Some(clock)) =
                (FolioDb::fetch(rocket), rocket.state::<LiveFreshness>(), rocket.state::<Clock>())
                && let Err(e) = live.refresh(db, clock.now()).await
            {
                rocket::warn!("cannot read the content generation after a write: {e}");
            }
            return;
        }
        let next = match decided(req).0.lock() {
            Ok(slot) => match &*slot {
                Some(Lookup::Miss(key, freshness)) => Some((key.clone(), *freshness)),
                Some(Lookup::Bypass) => {
                    res.set_header(Header::new("Cache-Status", "folio; fwd=uri-miss"));
                    None
                }
                _ => None,
            },
            Err(_) => None,
        };
        let Some((key, freshness)) = next else { return };
        let Some(cache) = rocket.state::<PageCache>() else { return };
        let Some(entries) = &cache.entries else { return };
        if req.method() != Method::Get || !shared_in_memory(req, res, MAX_ENTRY) {
            res.set_header(Header::new("Cache-Status", "folio; fwd=miss"));
            return;
        }
        let Some(body) = read_whole(res).await else { return };
        let fingerprint = identity_fingerprint(res, &body);
        // The validators fairing takes the route's own tag as the identity body's: no second hash.
        res.set_header(Header::new("ETag", format!("\"{fingerprint}\"")));
        res.set_header(Header::new("Cache-Status", "folio; fwd=miss; stored"));
        let compressible = compressible(res, &body);
        let page = Page {
            freshness: until_expires(freshness, res.headers().get_one("Expires")),
            headers: replayed_headers(res, compressible),
            compressible,
            body: body.clone(),
            fingerprint,
            variants: Default::default(),
        };
        entries.insert(key, Arc::new(page));
        set_whole_body(res, body);
    }
}
