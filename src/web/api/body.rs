//! What the write API reads besides the token: a JSON body ([`JsonBody`]) and the version a
//! change starts from (`If-Match`, [`IfMatch`]); and what it answers with: a resource's JSON with
//! its version as `ETag` ([`Versioned`]).

use std::io::Cursor;

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder, Response};
use serde::de::DeserializeOwned;

use super::problem::{Problem, met};
use crate::web::admin::editor::EDITOR_LIMIT;
use crate::web::error::{AppError, AppResult};

/// A JSON request body of type `T`. Refused, as a problem document, when it is not
/// `application/json` (or another `+json` type; 415), larger than a post may be (413), not JSON
/// (400), or JSON that does not fit `T` (a missing or unknown member, a wrong type; 422).
pub struct JsonBody<T>(pub T);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let refuse = |status: Status, detail: String| {
            met(req, Problem::new(status, detail));
            data::Outcome::Error((status, ()))
        };
        let json = req.content_type().is_some_and(|t| t.is_json() || t.sub().as_str().ends_with("+json"));
        if !json {
            return refuse(Status::UnsupportedMediaType, "Send the body as `application/json`.".into());
        }
        let bytes = match data.open(EDITOR_LIMIT.bytes()).into_bytes().await {
            Ok(read) if read.is_complete() => read.into_inner(),
            Ok(_) => {
                return refuse(Status::PayloadTooLarge, format!("The body is over {EDITOR_LIMIT} bytes."));
            }
            Err(e) => return refuse(Status::BadRequest, format!("The body could not be read: {e}.")),
        };
        match serde_json::from_slice::<T>(&bytes) {
            Ok(value) => data::Outcome::Success(JsonBody(value)),
            Err(e) if e.is_data() => {
                refuse(Status::UnprocessableEntity, format!("The body does not fit: {e}."))
            }
            Err(e) => refuse(Status::BadRequest, format!("The body is not JSON: {e}.")),
        }
    }
}

/// The entity tag of version `version` of a post or page: `"v7"`. Strong, as `If-Match`
/// compares strongly (RFC 9110, section 13.1.1).
pub fn version_tag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// A request's `If-Match` (RFC 9110, section 13.1.1): the versions it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No header.
    Absent,
    /// `*`: whatever version is current.
    Any,
    /// Every version the header's tags name, from all its lines. A weak tag (`W/"v7"`) never
    /// matches by strong comparison, and a tag this API never gave out (`"x"`, `"v07"`) names
    /// none; an empty list matches nothing.
    Versions(Vec<i64>),
}

impl IfMatch {
    /// Reads the header's values: `*`, or comma-separated entity tags.
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> IfMatch {
        let values: Vec<&str> = values.into_iter().collect();
        if values.is_empty() {
            return IfMatch::Absent;
        }
        let tags = values.iter().flat_map(|v| v.split(',')).map(str::trim);
        let mut versions = Vec::new();
        for tag in tags {
            if tag == "*" {
                return IfMatch::Any;
            }
            let number = tag.strip_prefix("\"v").and_then(|t| t.strip_suffix('"'));
            // Strong comparison is of the exact text: `"v07"` is not the tag `"v7"` this API sends.
            if let Some(n) = number.and_then(|n| n.parse::<i64>().ok().filter(|v| v.to_string() == n)) {
                versions.push(n);
            }
        }
        IfMatch::Versions(versions)
    }

    /// Whether the condition holds for the resource at `current`.
    fn holds(&self, current: i64) -> bool {
        match self {
            IfMatch::Absent | IfMatch::Any => true,
            IfMatch::Versions(list) => list.contains(&current),
        }
    }

    /// For a change: the version it applies to, `current`, when the header names it or is `*`;
    /// 412 when it names others, 428 when it is missing.
    pub fn resolve(&self, current: i64) -> AppResult<i64> {
        match self {
            IfMatch::Absent => Err(AppError::PreconditionRequired),
            condition if condition.holds(current) => Ok(current),
            _ => Err(AppError::PreconditionFailed),
        }
    }

    /// For a deletion, where the header is optional: `current` when it holds (or is missing),
    /// else 412.
    pub fn condition(&self, current: i64) -> AppResult<i64> {
        if self.holds(current) { Ok(current) } else { Err(AppError::PreconditionFailed) }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfMatch {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        request::Outcome::Success(IfMatch::parse(req.headers().get("If-Match")))
    }
}

/// A resource's JSON at `version`, sent with its `ETag` ([`version_tag`]); `201 Created` with
/// `Location` when `created` names the new resource's address, else `200 OK`.
pub struct Versioned {
    pub json: serde_json::Value,
    pub version: Option<i64>,
    pub created: Option<String>,
}

impl<'r> Responder<'r, 'static> for Versioned {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let body = serde_json::to_string(&self.json).map_err(|_| Status::InternalServerError)?;
        let mut res = Response::build();
        res.header(ContentType::JSON);
        if let Some(version) = self.version {
            res.header(Header::new("ETag", version_tag(version)));
        }
        if let Some(location) = self.created {
            res.status(Status::Created).header(Header::new("Location", location));
        }
        Ok(res.sized_body(body.len(), Cursor::new(body)).finalize())
    }
}

/// Why a write request was refused: an [`AppError`] (answered as a problem through
/// [`super::problem::respond`]) or a problem made on the spot (a missing scope).
#[derive(Debug)]
pub enum Refusal {
    App(AppError),
    Problem(Box<Problem>),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Refusal {
        Refusal::App(e)
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(e: sqlx::Error) -> Refusal {
        Refusal::App(e.into())
    }
}

impl From<Box<Problem>> for Refusal {
    fn from(p: Box<Problem>) -> Refusal {
        Refusal::Problem(p)
    }
}

impl<'r> Responder<'r, 'static> for Refusal {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match self {
            Refusal::App(e) => e.respond_to(req),
            Refusal::Problem(p) => p.respond_to(req),
        }
    }
}

/// What a write handler answers.
pub type ApiResult<T> = Result<T, Refusal>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_holds_when_any_tag_names_the_current_version() {
        let parse = |v: &str| IfMatch::parse([v]);
        assert_eq!(IfMatch::parse([]), IfMatch::Absent);
        assert_eq!(parse(" * "), IfMatch::Any);
        assert_eq!(parse("\"v7\""), IfMatch::Versions(vec![7]));
        assert_eq!(IfMatch::parse(["\"x\", \"v12\"", "\"v3\""]), IfMatch::Versions(vec![12, 3]));
        for never in ["W/\"v7\"", "v7", "\"v07\"", "\"v+7\""] {
            assert_eq!(parse(never), IfMatch::Versions(Vec::new()), "{never}");
        }
        assert_eq!(parse("\"v3\", \"v7\"").resolve(7).ok(), Some(7));
        assert!(matches!(parse("\"v3\"").resolve(7), Err(AppError::PreconditionFailed)));
        assert!(matches!(IfMatch::Absent.resolve(7), Err(AppError::PreconditionRequired)));
        assert_eq!(IfMatch::Any.resolve(7).ok(), Some(7));
        assert_eq!(IfMatch::Absent.condition(7).ok(), Some(7));
        assert!(parse("\"v6\"").condition(7).is_err());
        assert_eq!(version_tag(3), "\"v3\"");
    }
}
