//! Static pages at the site root (`/about`). Ranked last, so every other route wins.

use askama::Template;
use rocket::{State, get};
use rocket_db_pools::Connection;
use serde_json::json;

use crate::db::FolioDb;
use crate::db::pages::{self, Page};
use crate::domain::addresses::Kind;
use crate::domain::clock::Clock;
use crate::web::error::AppResult;
use crate::web::htmx::Html;
use crate::web::params::SlugParam;
use crate::web::redirect::Shown;
use crate::web::view::{Meta, Site, SiteRef, breadcrumbs, json_ld_graph};

#[derive(Template)]
#[template(path = "site/page.html")]
pub struct PageView<'a> {
    site: &'a Site,
    meta: Meta,
    page: Page,
}

#[get("/<slug>", rank = 20)]
pub async fn show(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    slug: SlugParam,
) -> AppResult<Shown> {
    let site: &Site = &site;
    let slug = slug.get()?;
    let Some(page) = pages::find_published(&db, slug).await? else {
        return super::moved(&db, Kind::Page, slug, clock.now(), "").await;
    };
    let path = format!("/{}", page.slug);
    let headline = page.seo_title.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| page.title.clone());
    let description =
        page.seo_description.clone().filter(|d| !d.is_empty()).unwrap_or_else(|| site.description.clone());
    let mut meta = Meta::new(site, &headline, &description, &path);
    meta.noindex = page.noindex;
    let meta = meta.with_json_ld(json_ld_graph(vec![
        json!({"@type": "WebPage", "name": page.title, "url": site.url(&path)}),
        breadcrumbs(site, &[(&page.title, &path)]),
    ]));
    Ok(Html::page(&PageView { site, meta, page })?.into())
}
