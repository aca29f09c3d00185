//! The Content API's errors as `application/problem+json` (RFC 9457), for [`AppError`]s raised
//! by its handlers and for statuses Rocket itself answers under `/api/` (no route, a failed
//! guard), so an API client never gets an HTML page.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{Catcher, catch, catchers};
use serde::Serialize;
use utoipa::ToSchema;

use crate::web::error::{AppError, BUSY_RETRY_AFTER, Invalid};

/// The media type of a problem document (RFC 9457, section 3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem document (RFC 9457, section 3.1). `type` is `about:blank`, so `title` is the
/// status's reason phrase (section 4.2.1); `detail` says what went wrong for this request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status code says all there is about the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: String,
    /// The HTTP reason phrase, e.g. `Bad Request`.
    pub title: String,
    /// The HTTP status code, repeated for the client's convenience.
    #[schema(example = 400)]
    pub status: u16,
    /// What went wrong with this request, in a sentence.
    pub detail: String,
    /// For a 400: each refused query parameter and why (RFC 9457, section 3.2 extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<InvalidParam>>,
}

/// One refused query parameter.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvalidParam {
    /// The parameter's name, e.g. `limit`.
    pub name: String,
    /// Why it was refused, e.g. `must be a whole number from 1 to 100`.
    pub reason: String,
}

impl Problem {
    /// The problem for `status`, with `detail` or a generic sentence.
    pub fn new(status: Status, detail: Option<&str>) -> Problem {
        let generic = match status.code {
            400 => "The request's parameters could not be read.",
            401 => "This API needs a content key: add `key=…` to the query.",
            404 => "There is nothing at this address, or it is not published.",
            405 => "This address does not take that method.",
            429 => "Too many requests; wait, then try again.",
            503 => "The site is busy; try again shortly.",
            500..=599 => "Something went wrong on the server.",
            _ => "The request could not be completed.",
        };
        Problem {
            kind: "about:blank".into(),
            title: status.reason_lossy().to_owned(),
            status: status.code,
            detail: detail.unwrap_or(generic).to_owned(),
            errors: None,
        }
    }

    fn into_response(self, status: Status) -> Response<'static> {
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = Response::build()
            .status(status)
            .header(ContentType::new("application", "problem+json"))
            .sized_body(body.len(), Cursor::new(body))
            .finalize();
        if status == Status::ServiceUnavailable {
            response.set_header(Header::new("Retry-After", BUSY_RETRY_AFTER.to_string()));
        }
        response
    }
}

fn invalid(errors: &[Invalid]) -> Vec<InvalidParam> {
    errors.iter().map(|e| InvalidParam { name: e.name.clone(), reason: e.reason.clone() }).collect()
}

/// Answers `error` as a problem document; `error_pages` sends API requests here.
pub fn respond(error: &AppError, _req: &Request<'_>) -> response::Result<'static> {
    let status = error.status();
    let mut problem = Problem::new(status, None);
    match error {
        AppError::BadRequest(errors) => {
            let names: Vec<&str> = errors.iter().map(|e| e.name.as_str()).collect();
            problem.detail = format!("Invalid query parameter: {}.", names.join(", "));
            problem.errors = Some(invalid(errors));
        }
        AppError::TooManyRequests(seconds) => {
            let mut response = problem.into_response(status);
            response.set_header(Header::new("Retry-After", seconds.to_string()));
            return Ok(response);
        }
        _ => {}
    }
    Ok(problem.into_response(status))
}

/// Rocket's own answers under `/api/` (no route matched, a guard refused, a path parameter
/// that did not parse) as problem documents.
#[catch(default)]
fn any(status: Status, _req: &Request<'_>) -> Problem {
    Problem::new(status, None)
}

impl<'r> Responder<'r, 'static> for Problem {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let status = Status::from_code(self.status).unwrap_or(Status::InternalServerError);
        Ok(self.into_response(status))
    }
}

/// The catchers registered at `/api`, overriding the site's HTML pages and sign-in redirect.
pub fn catchers() -> Vec<Catcher> {
    catchers![any]
}
