//! Typed route parameters, and a fairing that refuses control characters in any URI: a
//! malformed value never reaches the database.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::uri::Origin;
use rocket::http::{Method, Status};
use rocket::request::{FromParam, Request};
use rocket::response::{self, Responder};
use rocket::{Data, Route, get, routes};

use crate::domain::slug::Slug;
use crate::web::api::problem::Problem;
use crate::web::error::{AppError, AppResult};
use crate::web::error_pages::render_error_page_with;
use crate::web::htmx::Html;
use crate::web::view::LiveSite;

/// Parses an id from a form or query value; anything else is no id.
pub fn parse_id(raw: Option<&str>) -> Option<i64> {
    raw.and_then(|s| s.trim().parse().ok()).filter(|n: &i64| *n > 0)
}

/// A path segment that should be a slug. A malformed one (upper case, over-long, `..`) cannot name
/// anything, so [`SlugParam::get`] answers "not found" without a query. (Failing in `from_param`
/// instead would make Rocket answer 422, which is wrong for a URL.)
#[derive(Debug, Clone)]
pub struct SlugParam(Option<Slug>);

impl SlugParam {
    pub fn get(&self) -> AppResult<&str> {
        self.0.as_ref().map(Slug::as_str).ok_or_else(AppError::not_found)
    }
}

impl<'a> FromParam<'a> for SlugParam {
    type Error = std::convert::Infallible;

    fn from_param(param: &'a str) -> Result<Self, Self::Error> {
        Ok(SlugParam(Slug::parse(param).ok()))
    }
}

/// Where a request with control characters in its URI is sent to be refused.
const BAD_URI_PATH: &str = "/__folio/bad-uri";

/// Refuses, before routing, any request whose path or query carries an escaped control character
/// (`%00`–`%1F`, `%7F`): no Folio URL means one, PostgreSQL cannot store a NUL, and a parser fed
/// one may fail in ways a 400 should have caught. (Rocket itself refuses raw control bytes.)
pub struct ControlCharacters;

/// Whether `raw` (a path or query, still percent-encoded) escapes a C0 control or DEL.
fn escapes_control(raw: &str) -> bool {
    raw.as_bytes().windows(3).any(|w| {
        w[0] == b'%' && matches!((w[1], w[2].to_ascii_uppercase()), (b'0' | b'1', b'0'..=b'9' | b'A'..=b'F') | (b'7', b'F'))
    })
}

#[rocket::async_trait]
impl Fairing for ControlCharacters {
    fn info(&self) -> Info {
        Info { name: "Control characters in URIs", kind: Kind::Request }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let uri = req.uri();
        if escapes_control(uri.path().as_str()) || uri.query().is_some_and(|q| escapes_control(q.as_str())) {
            crate::web::api::problem::remember_api(req);
            req.set_method(Method::Get);
            req.set_uri(Origin::parse(BAD_URI_PATH).unwrap_or(Origin::ROOT));
        }
    }
}

/// The 400 page for a URI with control characters; a problem document (RFC 9457) when the
/// request was addressed to the API.
struct BadUri;

impl<'r> Responder<'r, 'static> for BadUri {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let detail = "The address contains a control character (such as NUL), which no page here uses.";
        if crate::web::api::problem::was_api(req) {
            return Problem::new(Status::BadRequest, detail).respond_to(req);
        }
        match req.rocket().state::<LiveSite>().map(LiveSite::get) {
            Some(site) => render_error_page_with(Status::BadRequest, req, &site, Some(detail)),
            None => Html::plain(detail.to_owned()).with_status(Status::BadRequest),
        }
        .respond_to(req)
    }
}

#[get("/__folio/bad-uri")]
fn bad_uri() -> BadUri {
    BadUri
}

pub fn routes() -> Vec<Route> {
    routes![bad_uri]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_controls_are_found() {
        for bad in ["q=%00", "q=a%0a", "q=%1F", "q=%7f", "/a%09b"] {
            assert!(escapes_control(bad), "{bad}");
        }
        for good in ["q=%20", "q=%2500", "q=caf%C3%A9", "q=%7E", "/plain"] {
            assert!(!escapes_control(good), "{good}");
        }
    }
}
