//! API errors as `application/problem+json` (RFC 9457): for the bearer guard's refusals, for
//! [`AppError`]s raised by the handlers ([`respond`], which `error_pages` sends API requests to),
//! and for statuses Rocket itself answers under `/api` (no route, a failed guard), so an API
//! client never gets an HTML page or a redirect to the sign-in form.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{Catcher, catch, catchers};
use serde::Serialize;
use utoipa::ToSchema;

use crate::web::error::{AppError, BUSY_RETRY_AFTER, Invalid};

/// A problem document (RFC 9457, section 3.1). `type` is `about:blank`, so `title` is the
/// status's reason phrase (section 4.2.1); `detail` says what went wrong for this request.
/// The headers some statuses need travel with it but are not part of the body.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    /// For a 400 or a 422: each refused query parameter or body member and why (an extension
    /// member, section 3.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<InvalidParam>>,
    /// `WWW-Authenticate`, for 401 and 403 from the bearer guard (RFC 6750, section 3).
    #[serde(skip)]
    pub www_authenticate: Option<String>,
    /// `Retry-After` in seconds, for 429 and 503 (RFC 9110, section 10.2.3).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// One refused query parameter or body member.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvalidParam {
    /// The parameter's or member's name, e.g. `limit` or `title`.
    pub name: String,
    /// Why it was refused, e.g. `must be a whole number from 1 to 100`.
    pub reason: String,
}

/// The media type of a problem (RFC 9457, section 3).
pub fn problem_json() -> ContentType {
    ContentType::new("application", "problem+json")
}

impl Problem {
    /// A problem with `status` and `detail`, and no extra header.
    pub fn new(status: Status, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: status.reason_lossy().to_owned(),
            status: status.code,
            detail: detail.into(),
            errors: None,
            www_authenticate: None,
            retry_after: None,
        }
    }

    /// The problem for `status` with a general sentence: what Rocket's own refusals say.
    pub fn general(status: Status) -> Problem {
        let detail = match status.code {
            400 => "The request's parameters could not be read.",
            401 => "Send a personal access token as `Authorization: Bearer <token>`.",
            404 => "There is nothing at this address, or it is not published.",
            405 => "This address does not take that method.",
            412 => {
                "The resource changed since the version `If-Match` names; read it again, \
                    reapply the change and send its new `ETag`."
            }
            413 => "The body is larger than this address accepts.",
            415 => "This address does not take a body of that type.",
            422 => "The request could not be read.",
            428 => "Send `If-Match` with the `ETag` of the version the change starts from.",
            429 => "Too many requests; wait, then try again.",
            503 => "The site is busy; try again shortly.",
            500..=599 => "Something went wrong on the server.",
            _ => "The request could not be completed.",
        };
        let problem = Problem::new(status, detail);
        match status.code {
            401 => problem.challenge(r#"Bearer realm="folio""#),
            503 => problem.retry_after(BUSY_RETRY_AFTER),
            _ => problem,
        }
    }

    /// Sends `WWW-Authenticate: value`.
    pub fn challenge(mut self, value: impl Into<String>) -> Problem {
        self.www_authenticate = Some(value.into());
        self
    }

    /// Sends `Retry-After: seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after = Some(seconds);
        self
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn into_response(self) -> Response<'static> {
        let status = Status::from_code(self.status).unwrap_or(Status::InternalServerError);
        let body = self.body();
        let mut res = Response::build();
        res.status(status).header(problem_json());
        if let Some(challenge) = self.www_authenticate {
            res.header(Header::new("WWW-Authenticate", challenge));
        }
        if let Some(seconds) = self.retry_after {
            res.header(Header::new("Retry-After", seconds.to_string()));
        }
        res.sized_body(body.len(), Cursor::new(body)).finalize()
    }
}

impl<'r> Responder<'r, 'static> for Problem {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if self.status >= 500 {
            rocket::error!("{} {}: {}", req.method(), req.uri(), self.detail);
        }
        Ok(self.into_response())
    }
}

/// Answers `error` as a problem document; `error_pages` sends API requests here.
pub fn respond(error: &AppError, _req: &Request<'_>) -> response::Result<'static> {
    Ok(of(error).into_response())
}

/// The problem document for `error`: its status's, with what the error says in particular.
pub fn of(error: &AppError) -> Problem {
    let mut problem = Problem::general(error.status());
    match error {
        AppError::BadRequest(errors) => {
            let names: Vec<&str> = errors.iter().map(|e| e.name.as_str()).collect();
            problem.detail = format!("Invalid query parameter: {}.", names.join(", "));
            problem.errors = Some(invalid(errors));
        }
        // The Content API's only 401: a content key is set and the request has not got it.
        AppError::Unauthorized => {
            problem.detail = "This API needs a content key: add `key=…` to the query.".into();
            problem.www_authenticate = None;
        }
        AppError::Unprocessable(errors) => {
            let names: Vec<&str> = errors.iter().map(|e| e.name.as_str()).collect();
            problem.detail = format!("Something to fix in: {}.", names.join(", "));
            problem.errors = Some(invalid(errors));
        }
        AppError::TooManyRequests(seconds) => problem.retry_after = Some(*seconds),
        _ => {
            if let Some(detail) = error.detail() {
                problem.detail = detail.into();
            }
        }
    }
    problem
}

fn invalid(errors: &[Invalid]) -> Vec<InvalidParam> {
    errors.iter().map(|e| InvalidParam { name: e.name.clone(), reason: e.reason.clone() }).collect()
}

/// Set on an API request before a fairing reroutes it to one of the site's own refusal handlers
/// (`/__folio/…`, for a control character in the address or a failed CSRF check), which then
/// answer with a problem document instead of an HTML page: the reroute loses the address.
struct Rerouted(bool);

/// Records, before a fairing reroutes `req`, whether it was addressed to the API.
pub fn remember_api(req: &Request<'_>) {
    if super::is_api(req) {
        req.local_cache(|| Rerouted(true));
    }
}

/// Whether `req` was addressed to the API before a fairing rerouted it ([`remember_api`]).
pub fn was_api(req: &Request<'_>) -> bool {
    req.local_cache(|| Rerouted(false)).0
}

/// The problem a guard met, kept for the catcher (a guard can only hand Rocket a status).
struct Met(Option<Problem>);

/// Records `problem` as why this request failed; the `/api` catcher answers with it.
pub fn met(req: &Request<'_>, problem: Problem) {
    req.local_cache(|| Met(Some(problem)));
}

/// The problem recorded for this request, else a general one for `status`.
fn answer(status: Status, req: &Request<'_>) -> Problem {
    match &req.local_cache(|| Met(None)).0 {
        Some(problem) => problem.clone(),
        None => Problem::general(status),
    }
}

#[catch(default)]
fn any(status: Status, req: &Request<'_>) -> Problem {
    answer(status, req)
}

/// Explicit, so no status-specific catcher mounted at `/` (the 401 that redirects browsers to
/// sign in) can ever take an API request.
#[catch(401)]
fn unauthorized(req: &Request<'_>) -> Problem {
    answer(Status::Unauthorized, req)
}

#[catch(403)]
fn forbidden(req: &Request<'_>) -> Problem {
    answer(Status::Forbidden, req)
}

#[catch(404)]
fn not_found(req: &Request<'_>) -> Problem {
    answer(Status::NotFound, req)
}

#[catch(429)]
fn too_many(req: &Request<'_>) -> Problem {
    answer(Status::TooManyRequests, req)
}

/// The catchers to register at `/api`, overriding the site's HTML pages and sign-in redirect.
pub fn catchers() -> Vec<Catcher> {
    catchers![any, unauthorized, forbidden, not_found, too_many]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_rfc_9457_members() {
        let problem = Problem::new(Status::TooManyRequests, "Slow \"down\".").retry_after(7);
        let body: serde_json::Value = serde_json::from_str(&problem.body()).unwrap_or_default();
        assert_eq!(body["type"], "about:blank");
        assert_eq!(body["title"], "Too Many Requests");
        assert_eq!(body["status"], 429);
        assert_eq!(body["detail"], "Slow \"down\".");
        assert!(body.get("retry_after").is_none() && body.get("errors").is_none(), "{body}");
        assert_eq!(problem.retry_after, Some(7));
        assert_eq!(problem_json().to_string(), "application/problem+json");
    }
}
