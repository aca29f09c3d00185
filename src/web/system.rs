//! Crawlers' robots.txt. (Operators' endpoints are in [`crate::web::ops`].)

use rocket::http::ContentType;
use rocket::{Route, State, get, routes};

use crate::config::Config;

/// Everything but the admin may be crawled; the `Sitemap` line gives crawlers the sitemap index
/// by its absolute URL, as the robots.txt convention (sitemaps.org) requires.
#[get("/robots.txt")]
fn robots(config: &State<Config>) -> (ContentType, String) {
    let sitemap = format!("{}/sitemap.xml", config.settings.base_url);
    (ContentType::Plain, format!("User-agent: *\nAllow: /\nDisallow: /admin/\n\nSitemap: {sitemap}\n"))
}

pub fn routes() -> Vec<Route> {
    routes![robots]
}
