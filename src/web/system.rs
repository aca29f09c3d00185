//! Endpoints for machines that are not readers: crawlers' robots.txt and the health check.

use rocket::http::{ContentType, Status};
use rocket::{Route, State, get, routes};
use rocket_db_pools::Connection;

use crate::config::Config;
use crate::db::FolioDb;

/// Everything but the admin may be crawled; the `Sitemap` line gives crawlers the sitemap index
/// by its absolute URL, as the robots.txt convention (sitemaps.org) requires.
#[get("/robots.txt")]
fn robots(config: &State<Config>) -> (ContentType, String) {
    let sitemap = format!("{}/sitemap.xml", config.settings.base_url);
    (ContentType::Plain, format!("User-agent: *\nAllow: /\nDisallow: /admin/\n\nSitemap: {sitemap}\n"))
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
