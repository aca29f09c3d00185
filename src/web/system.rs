//! Endpoints for machines that are not readers: crawlers' robots.txt and the health check.

use rocket::http::{ContentType, Status};
use rocket::{Route, get, routes};
use rocket_db_pools::Connection;

use crate::db::FolioDb;

#[get("/robots.txt")]
fn robots() -> (ContentType, String) {
    (ContentType::Plain, "User-agent: *\nAllow: /\nDisallow: /admin/\n".to_owned())
}

/// 200 when the database answers, 503 when it does not; for load balancers and monitors.
#[get("/healthz")]
async fn healthz(db: Connection<FolioDb>) -> (Status, (ContentType, String)) {
    match db.ping().await {
        Ok(()) => {
            (Status::Ok, (ContentType::JSON, format!(r#"{{"status":"ok","database":"{}"}}"#, db.backend())))
        }
        Err(e) => {
            rocket::warn!("health check failed: {e}");
            (Status::ServiceUnavailable, (ContentType::JSON, r#"{"status":"unavailable"}"#.to_owned()))
        }
    }
}

pub fn routes() -> Vec<Route> {
    routes![robots, healthz]
}
