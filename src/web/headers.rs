//! Security headers on every response. The policy allows scripts from this origin only (the
//! vendored htmx), so no inline script or `eval` can run even if markup slips through.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

use crate::config::Config;

/// Content-Security-Policy for every page. `img-src https:` lets posts embed remote images.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: https:; font-src 'self'; connect-src 'self'; form-action 'self'; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Marks a response as made for one visitor: it shows who is signed in, or carries a CSRF token.
/// Set by the guards that read those ([`crate::web::auth::Visitor`], the CSRF token).
pub struct PerVisitor(pub bool);

impl PerVisitor {
    /// Records that this request's response is for this visitor only.
    pub fn mark(req: &Request<'_>) {
        req.local_cache(|| PerVisitor(true));
    }
}

/// A guard for routes whose page is for whoever holds its link, not for everyone (a draft's
/// preview): it marks the response [`PerVisitor`], so no shared cache keeps it after the link is
/// withdrawn.
pub struct Private;

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Private {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> rocket::request::Outcome<Self, Self::Error> {
        PerVisitor::mark(req);
        rocket::request::Outcome::Success(Private)
    }
}

/// Whether the response is for this visitor only: a guard marked it ([`PerVisitor`]), or it sets
/// a cookie.
fn marked_per_visitor(req: &Request<'_>, res: &Response<'_>) -> bool {
    req.local_cache(|| PerVisitor(false)).0 || res.headers().contains("Set-Cookie")
}

/// Whether the response must not be shared: marked for this visitor, or sent with a
/// `Cache-Control` that says `private` or `no-store`. Such a response gets no validator and no
/// compression ([`crate::web::http`]); this is the one rule both fairings follow.
pub fn is_per_visitor(req: &Request<'_>, res: &Response<'_>) -> bool {
    marked_per_visitor(req, res)
        || res.headers().get("Cache-Control").any(|value| {
            value
                .split(',')
                .map(str::trim)
                .any(|d| d.eq_ignore_ascii_case("private") || d.eq_ignore_ascii_case("no-store"))
        })
}

pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info { name: "Security headers", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        // An answer from the page cache repeats the headers this set when it was stored.
        if crate::web::http::page_cache::served_from_cache(req) {
            return;
        }
        // A response may bring a stricter policy of its own (uploaded media do).
        if !res.headers().contains("Content-Security-Policy") {
            res.set_header(Header::new("Content-Security-Policy", CSP));
        }
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "strict-origin-when-cross-origin"));
        res.set_header(Header::new("Cross-Origin-Opener-Policy", "same-origin"));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("Permissions-Policy", "camera=(), microphone=(), geolocation=()"));
        // A page for one visitor (signed in, or with a CSRF token in its forms), or one that sets
        // a cookie, must never be stored by a browser's or a proxy's cache and shown to another
        // (RFC 9111, section 5.2.2.5). Responses that chose their own policy keep it.
        if marked_per_visitor(req, res) && !res.headers().contains("Cache-Control") {
            res.set_header(Header::new("Cache-Control", "private, no-store"));
        }
        // HSTS only makes sense, and is only safe to send, when the site is served over HTTPS.
        let https = req.rocket().state::<Config>().is_some_and(|config| config.settings.https());
        if https {
            res.set_header(Header::new("Strict-Transport-Security", "max-age=63072000; includeSubDomains"));
        }
    }
}
