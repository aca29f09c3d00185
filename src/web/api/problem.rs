//! API errors as `application/problem+json` (RFC 9457), and the catchers that answer every error
//! under `/api` that way, never with an HTML page or a redirect to the sign-in form.

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{Catcher, catch, catchers};
use serde::Serialize;

/// An API error: a status, a sentence for the developer, and the headers the status needs.
///
/// The body has RFC 9457's members (section 3.1): `type` is `about:blank`, since the status says
/// what happened, and so `title` is the status's reason phrase (section 4.2.1); `detail` says
/// what happened to this request.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: Status,
    pub detail: String,
    /// `WWW-Authenticate`, for 401 and 403 from the bearer guard (RFC 6750, section 3).
    pub www_authenticate: Option<String>,
    /// `Retry-After` in seconds, for 429 and 503 (RFC 9110, section 10.2.3).
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

/// The media type of a problem (RFC 9457, section 3).
pub fn problem_json() -> ContentType {
    ContentType::new("application", "problem+json")
}

impl Problem {
    /// A problem with `status` and `detail`, and no extra header.
    pub fn new(status: Status, detail: impl Into<String>) -> Problem {
        Problem { status, detail: detail.into(), www_authenticate: None, retry_after: None }
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
        let body = Body {
            kind: "about:blank",
            title: self.status.reason_lossy(),
            status: self.status.code,
            detail: &self.detail,
        };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

impl<'r> Responder<'r, 'static> for Problem {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if self.status.class().is_server_error() {
            rocket::error!("{} {}: {}", req.method(), req.uri(), self.detail);
        }
        let body = self.body();
        let mut res = Response::build();
        res.status(self.status).header(problem_json());
        if let Some(challenge) = self.www_authenticate {
            res.header(Header::new("WWW-Authenticate", challenge));
        }
        if let Some(seconds) = self.retry_after {
            res.header(Header::new("Retry-After", seconds.to_string()));
        }
        res.sized_body(body.len(), std::io::Cursor::new(body)).ok()
    }
}

/// The problem a guard met, kept for the catcher (a guard can only hand Rocket a status).
struct Met(Option<Problem>);

/// Records `problem` as why this request failed; the `/api` catcher answers with it.
pub fn met(req: &Request<'_>, problem: Problem) {
    req.local_cache(|| Met(Some(problem)));
}

/// The problem recorded for this request, else a general one for `status`.
fn answer(status: Status, req: &Request<'_>) -> Problem {
    if let Some(problem) = &req.local_cache(|| Met(None)).0 {
        return problem.clone();
    }
    let detail = match status.code {
        401 => "Send a personal access token as `Authorization: Bearer <token>`.",
        404 => "There is nothing at this address.",
        405 => "This address does not take that method.",
        413 => "The body is larger than this address accepts.",
        415 => "This address does not take a body of that type.",
        422 => "The body could not be read.",
        _ => "The request could not be completed.",
    };
    let problem = Problem::new(status, detail);
    if status == Status::Unauthorized { problem.challenge(r#"Bearer realm="folio""#) } else { problem }
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

/// The catchers to register at `/api`.
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
        assert_eq!(problem.retry_after, Some(7));
        assert_eq!(problem_json().to_string(), "application/problem+json");
    }
}
