//! The public site readers see: listings, articles, series, static pages, search, feeds and
//! sitemaps.

pub mod comment_posting;
pub mod comments;
mod corrections;
mod feeds;
mod listings;
mod newsletter;
mod own_comments;
mod pages;
mod posts;
mod search;
mod series;
mod sitemap;

use rocket::response::Redirect;
use rocket::{Route, routes};

use crate::db::{Db, old_slugs};
use crate::domain::Timestamp;
use crate::domain::addresses::Kind;
use crate::web::error::{AppError, AppResult};
use crate::web::redirect::Shown;

pub fn routes() -> Vec<Route> {
    let mut all = comments::routes();
    all.extend(own_comments::routes());
    all.extend(corrections::routes());
    all.extend(newsletter::routes());
    all.extend(routes![
        listings::index,
        listings::tag,
        listings::author,
        posts::show,
        posts::preview,
        series::show,
        search::results,
        search::opensearch,
        pages::show,
        sitemap::index,
        sitemap::part,
        feeds::rss,
        feeds::atom,
        feeds::json,
        feeds::tag,
        feeds::author,
        feeds::series,
    ]);
    all
}

/// For a `kind` lookup of `slug` that found nothing: the 301 to the item that gave `slug` up,
/// at its current address with `query` (`""` or `"?page=2"`) kept, if readers may see it at
/// `now`; otherwise not found. A slug now held by another item never gets here, since the
/// lookup found that one.
async fn moved(db: &Db, kind: Kind, slug: &str, now: Timestamp, query: &str) -> AppResult<Shown> {
    let current = old_slugs::current_slug(db, kind, slug, now).await?.ok_or_else(AppError::not_found)?;
    Ok(Shown::Moved(Box::new(Redirect::moved(format!("{}{query}", kind.path(&current))))))
}
