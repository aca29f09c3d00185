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

pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info { name: "Security headers", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        // A response may bring a stricter policy of its own (uploaded media do).
        if !res.headers().contains("Content-Security-Policy") {
            res.set_header(Header::new("Content-Security-Policy", CSP));
        }
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "strict-origin-when-cross-origin"));
        res.set_header(Header::new("Cross-Origin-Opener-Policy", "same-origin"));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("Permissions-Policy", "camera=(), microphone=(), geolocation=()"));
        // HSTS only makes sense, and is only safe to send, when the site is served over HTTPS.
        let https = req.rocket().state::<Config>().is_some_and(|config| config.settings.https());
        if https {
            res.set_header(Header::new("Strict-Transport-Security", "max-age=63072000; includeSubDomains"));
        }
    }
}
