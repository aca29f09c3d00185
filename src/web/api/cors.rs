//! CORS for the Content API (the Fetch standard's CORS protocol): browsers on the origins listed
//! in `api_cors_origins` may read `/api/v1/…`; no other origin gets a CORS header, so the
//! browser keeps the answer from its script. Only reads are offered: GET and HEAD.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Method, Status};
use rocket::{Request, Response};

use crate::config::Config;

/// Adds `Access-Control-Allow-Origin` for listed origins and answers their preflights.
pub struct ApiCors;

/// Whether `req` is under the versioned API, where CORS applies.
fn in_scope(req: &Request<'_>) -> bool {
    req.uri().path().as_str().starts_with("/api/v1/")
}

#[rocket::async_trait]
impl Fairing for ApiCors {
    fn info(&self) -> Info {
        Info { name: "Content API CORS", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Some(config) = req.rocket().state::<Config>() else { return };
        let origins = &config.settings.api_cors_origins;
        if !in_scope(req) || origins.is_empty() {
            return;
        }
        // The answer depends on Origin whenever any origin is allowed, so caches must key on it.
        res.adjoin_header(Header::new("Vary", "Origin"));
        let Some(origin) = req.headers().get_one("Origin").filter(|o| origins.iter().any(|a| a == o)) else {
            return;
        };
        match req.method() {
            Method::Get | Method::Head => {
                res.set_header(Header::new("Access-Control-Allow-Origin", origin.to_owned()));
            }
            // A preflight has no route of its own (it would be an undocumented operation); it is
            // answered here, in place of the 404 Rocket gave it.
            Method::Options if req.headers().contains("Access-Control-Request-Method") => {
                res.set_status(Status::NoContent);
                res.set_sized_body(0, std::io::Cursor::new(Vec::new()));
                res.remove_header("Content-Type");
                res.set_header(Header::new("Access-Control-Allow-Origin", origin.to_owned()));
                res.set_header(Header::new("Access-Control-Allow-Methods", "GET, HEAD"));
                res.set_header(Header::new("Access-Control-Allow-Headers", "Authorization"));
                res.set_header(Header::new("Access-Control-Max-Age", "86400"));
            }
            _ => {}
        }
    }
}
