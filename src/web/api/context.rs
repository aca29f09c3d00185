//! What every Content API handler needs, from one guard ([`Api`]): the database, the site (for
//! absolute URLs), the time by the managed clock, and the content key checked. Also the JSON
//! responder the handlers answer with.

use std::io::Cursor;
use std::sync::Arc;

use rocket::http::{ContentType, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder, Response};
use rocket_db_pools::Connection;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Config;
use crate::db::{Db, FolioDb};
use crate::domain::Timestamp;
use crate::domain::clock::Clock;
use crate::web::view::{LiveSite, Site};

/// The request's view of the Content API. Refuses the request with 401 (a problem document,
/// from the `/api` catcher) when `api_content_key` is set and `?key=` does not match it.
pub struct Api {
    pub db: Db,
    pub site: Arc<Site>,
    /// Now by the managed [`Clock`]: what is visible is decided at this moment.
    pub now: Timestamp,
    /// The content key the request carried, repeated in `meta.next` so the next page works too.
    pub key: Option<String>,
}

/// Whether `given` is the configured `expected` key. Both are hashed first, so the comparison
/// takes the same time whatever the length or the first differing byte of `given`.
fn key_matches(given: &str, expected: &str) -> bool {
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    bool::from(a.ct_eq(&b))
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Api {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let rocket = req.rocket();
        let (Some(config), Some(live), Some(clock)) =
            (rocket.state::<Config>(), rocket.state::<LiveSite>(), rocket.state::<Clock>())
        else {
            return request::Outcome::Error((Status::InternalServerError, ()));
        };
        let expected = &config.settings.api_content_key;
        let given = req.query_value::<String>("key").and_then(Result::ok);
        if !expected.is_empty() && !given.as_deref().is_some_and(|g| key_matches(g, expected)) {
            return request::Outcome::Error((Status::Unauthorized, ()));
        }
        let db = match req.guard::<Connection<FolioDb>>().await {
            request::Outcome::Success(db) => db.into_inner(),
            request::Outcome::Error((status, _)) => return request::Outcome::Error((status, ())),
            request::Outcome::Forward(status) => return request::Outcome::Forward(status),
        };
        let key = given.filter(|_| !expected.is_empty());
        request::Outcome::Success(Api { db, site: live.get(), now: clock.now(), key })
    }
}

impl Api {
    /// The absolute URL of the API path `path` with `query`'s present pairs and the content
    /// key, for `meta.next`.
    pub fn link(&self, path: &str, query: &[(&str, Option<&str>)]) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in query {
            if let Some(value) = value {
                out.append_pair(name, value);
            }
        }
        if let Some(key) = &self.key {
            out.append_pair("key", key);
        }
        format!("{}?{}", self.site.url(path), out.finish())
    }
}

/// A JSON body (`application/json`).
pub struct ApiJson(pub Value);

impl<'r> Responder<'r, 'static> for ApiJson {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let body = serde_json::to_string(&self.0).map_err(|_| Status::InternalServerError)?;
        Ok(Response::build().header(ContentType::JSON).sized_body(body.len(), Cursor::new(body)).finalize())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_match_only_when_equal() {
        assert!(super::key_matches("s3cret", "s3cret"));
        assert!(!super::key_matches("s3cre", "s3cret"));
        assert!(!super::key_matches("", "s3cret"));
    }
}
