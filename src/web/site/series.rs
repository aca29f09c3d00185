//! A series: its posts in reading order, like the chapters of a course.

use askama::Template;
use rocket::{State, get};
use rocket_db_pools::Connection;

use super::listings::collection_meta;
use crate::db::FolioDb;
use crate::db::posts::{self, PostCard};
use crate::db::taxonomy::{self, Series};
use crate::domain::addresses::Kind;
use crate::domain::clock::Clock;
use crate::web::error::AppResult;
use crate::web::htmx::Html;
use crate::web::params::SlugParam;
use crate::web::redirect::Shown;
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
) -> AppResult<Shown> {
    let site: &Site = &site;
    let (slug, now) = (slug.get()?, clock.now());
    let Some(series) = taxonomy::series_by_slug(&db, slug).await? else {
        return super::moved(&db, Kind::Series, slug, now, "").await;
    };
    let posts = posts::in_series(&db, series.id, now).await?;
    let description = if series.description.is_empty() {
        format!("A series of {} posts on {}.", posts.len(), site.title)
    } else {
        series.description.clone()
    };
    let meta = collection_meta(site, &series.title, &description, &format!("/series/{}", series.slug));
    Ok(Html::page(&SeriesView { site, meta, series, posts })?.into())
}
