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

/// A request's `If-Match` (RFC 9110, section 13.1.1), as the version it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// No header.
    Absent,
    /// `*`: whatever version is current.
    Any,
    /// The first of the tags that names a version; `None` when none does (a weak tag, or one
    /// this API never gave out), which no version matches.
    Version(Option<i64>),
}

impl IfMatch {
    /// Reads the header's value: `*`, or a comma-separated list of entity tags.
    pub fn parse(header: Option<&str>) -> IfMatch {
        let Some(value) = header else { return IfMatch::Absent };
        if value.trim() == "*" {
            return IfMatch::Any;
        }
        // A weak tag (`W/"v7"`) never matches by strong comparison, so only `"vN"` counts.
        let version = value.split(',').map(str::trim).find_map(|tag| {
            tag.strip_prefix("\"v").and_then(|t| t.strip_suffix('"')).and_then(|n| n.parse::<i64>().ok())
        });
        IfMatch::Version(version)
    }

    /// The version a change must start from: `None` for any (`*`), a version that never exists
    /// (0) for tags that name none; 428 when the header is missing.
    pub fn required(self) -> AppResult<Option<i64>> {
        match self {
            IfMatch::Absent => Err(AppError::PreconditionRequired),
            IfMatch::Any => Ok(None),
            IfMatch::Version(v) => Ok(Some(v.unwrap_or(0))),
        }
    }

    /// As [`IfMatch::required`], but a missing header means any version (deleting, where
    /// nothing of the client's is written over).
    pub fn optional(self) -> Option<i64> {
        match self {
            IfMatch::Absent | IfMatch::Any => None,
            IfMatch::Version(v) => Some(v.unwrap_or(0)),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfMatch {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        request::Outcome::Success(IfMatch::parse(req.headers().get_one("If-Match")))
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
    fn if_match_names_a_version_or_any() {
        assert_eq!(IfMatch::parse(None), IfMatch::Absent);
        assert_eq!(IfMatch::parse(Some(" * ")), IfMatch::Any);
        assert_eq!(IfMatch::parse(Some("\"v7\"")), IfMatch::Version(Some(7)));
        assert_eq!(IfMatch::parse(Some("\"x\", \"v12\"")), IfMatch::Version(Some(12)));
        assert_eq!(IfMatch::parse(Some("W/\"v7\"")), IfMatch::Version(None));
        assert_eq!(IfMatch::parse(Some("v7")), IfMatch::Version(None));
        assert!(IfMatch::Absent.required().is_err());
        assert_eq!(IfMatch::Version(None).required().ok(), Some(Some(0)));
        assert_eq!(IfMatch::Absent.optional(), None);
        assert_eq!(version_tag(3), "\"v3\"");
    }
}
