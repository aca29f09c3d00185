//! The public site readers see: listings, articles, series, static pages and feeds.

mod feeds;
mod listings;
mod pages;
mod posts;
mod series;

use rocket::{Route, routes};

pub fn routes() -> Vec<Route> {
    routes![
        listings::index,
        listings::tag,
        listings::author,
        posts::show,
        posts::preview,
        series::show,
        pages::show,
        feeds::rss,
        feeds::atom,
        feeds::json,
        feeds::tag,
        feeds::author,
        feeds::series,
    ]
}
