//! The public site readers see: listings, articles, series, static pages and search.

mod listings;
mod pages;
mod posts;
mod search;
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
        search::results,
        search::opensearch,
        pages::show,
    ]
}
