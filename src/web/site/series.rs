//! A series: its posts in reading order, like the chapters of a course.

use askama::Template;
use rocket::{State, get};
use rocket_db_pools::Connection;

use super::listings::collection_meta;
use crate::db::FolioDb;
use crate::db::posts::{self, PostCard};
use crate::db::taxonomy::{self, Series};
use crate::domain::clock::Clock;
use crate::web::error::{AppError, AppResult};
use crate::web::htmx::Html;
use crate::web::params::SlugParam;
use crate::web::view::{Dated, Meta, Site, SiteRef};

#[derive(Template)]
#[template(path = "site/series.html")]
pub struct SeriesView<'a> {
    site: &'a Site,
    meta: Meta,
    series: Series,
    posts: Vec<PostCard>,
}

#[get("/series/<slug>")]
pub async fn show(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    slug: SlugParam,
) -> AppResult<Html> {
    let site: &Site = &site;
    let series = taxonomy::series_by_slug(&db, slug.get()?).await?.ok_or_else(AppError::not_found)?;
    let posts = posts::in_series(&db, series.id, clock.now()).await?;
    let description = if series.description.is_empty() {
        format!("A series of {} posts on {}.", posts.len(), site.title)
    } else {
        series.description.clone()
    };
    let meta = collection_meta(site, &series.title, &description, &format!("/series/{}", series.slug));
    Html::page(&SeriesView { site, meta, series, posts })
}
