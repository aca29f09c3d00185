//! Paged lists of posts: the home page, a tag, an author. Plain `?page=N` links that htmx turns
//! into "load more" by fetching the same route as a fragment.

use askama::Template;
use rocket::{State, get};
use rocket_db_pools::Connection;
use serde_json::json;

use crate::db::posts::{self, Listing, PostCard};
use crate::db::taxonomy::{self, Author, Tag};
use crate::db::{Db, FolioDb};
use crate::domain::Timestamp;
use crate::domain::addresses::Kind;
use crate::domain::clock::Clock;
use crate::domain::pagination::PageNumber;
use crate::web::error::{AppError, AppResult};
use crate::web::htmx::{Fragment, Html, HxRequest};
use crate::web::params::SlugParam;
use crate::web::redirect::Shown;
use crate::web::view::{Dated, Meta, Paging, Site, SiteRef, breadcrumbs, json_ld_graph};

/// What the top of a listing introduces.
pub enum Intro {
    Home,
    Tag(Tag),
    Author(Author),
}

#[derive(Template)]
#[template(path = "site/listing.html", blocks = ["entries"])]
pub struct ListingPage<'a> {
    site: &'a Site,
    meta: Meta,
    intro: Intro,
    posts: Vec<PostCard>,
    paging: Paging,
    /// Rendering the "load more" fragment rather than the page.
    fragment: bool,
}

impl ListingPage<'_> {
    /// The first page of the home page, which carries the newsletter sign-up.
    fn is_home(&self) -> bool {
        matches!(self.intro, Intro::Home) && self.paging.previous().is_none()
    }
}

/// `?page=N`: absent means 1; anything but a page number that can exist is not found.
fn page_number(raw: Option<&str>) -> AppResult<PageNumber> {
    PageNumber::parse(raw).ok_or_else(AppError::not_found)
}

/// The query that asks for `page` again after a redirect: none for the first.
fn page_query(page: PageNumber) -> String {
    if page == PageNumber::FIRST { String::new() } else { format!("?page={}", page.get()) }
}

/// Page `page` of `listing` at `path`, as readers see it at `now`; a page past the end is not
/// found.
async fn load(
    db: &Db,
    site: &Site,
    listing: Listing,
    page: PageNumber,
    now: Timestamp,
    path: &str,
) -> AppResult<(Vec<PostCard>, Paging)> {
    let mut paging = Paging::new(page, site.posts_per_page, path, "");
    let posts = paging.trim(posts::list(db, listing, now, paging.limit(), paging.offset()).await?);
    if posts.is_empty() && !paging.is_first() {
        return Err(AppError::not_found());
    }
    Ok((posts, paging))
}

fn render(
    site: &Site,
    hx: HxRequest,
    intro: Intro,
    (posts, paging): (Vec<PostCard>, Paging),
    mut meta: Meta,
) -> AppResult<Html> {
    if !paging.is_first() {
        meta.title = format!("{} — Page {}", meta.title, paging.page());
        meta.canonical = site.url(&paging.current());
    }
    meta.prev = paging.previous().map(|p| site.url(&p));
    meta.next = paging.next().map(|p| site.url(&p));
    let view = ListingPage { site, meta, intro, posts, paging, fragment: hx.wants_fragment() };
    Html::page_or_fragment(hx, &view)
}

#[get("/?<page>")]
pub async fn index(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    hx: HxRequest,
    page: Option<&str>,
) -> AppResult<Html> {
    let site: &Site = &site;
    let page = page_number(page)?;
    let data = load(&db, site, Listing::All, page, clock.now(), "/").await?;
    let meta = Meta::new(site, &site.title, &site.description, "/").with_json_ld(json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": site.title,
        "description": site.description,
        "url": site.url("/"),
        "inLanguage": site.language,
    }));
    render(site, hx, Intro::Home, data, meta)
}

#[get("/tags/<slug>?<page>")]
pub async fn tag(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    hx: HxRequest,
    slug: SlugParam,
    page: Option<&str>,
) -> AppResult<Shown> {
    let site: &Site = &site;
    let (page, slug, now) = (page_number(page)?, slug.get()?, clock.now());
    let Some(tag) = taxonomy::tag_by_slug(&db, slug).await? else {
        return super::moved(&db, Kind::Tag, slug, now, &page_query(page)).await;
    };
    let path = format!("/tags/{}", tag.slug);
    let data = load(&db, site, Listing::Tag(tag.id), page, now, &path).await?;
    let description = if tag.description.is_empty() {
        format!("Posts tagged “{}” on {}.", tag.name, site.title)
    } else {
        tag.description.clone()
    };
    let meta = collection_meta(site, &tag.name, &description, &path);
    Ok(render(site, hx, Intro::Tag(tag), data, meta)?.into())
}

#[get("/authors/<slug>?<page>")]
pub async fn author(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    hx: HxRequest,
    slug: SlugParam,
    page: Option<&str>,
) -> AppResult<Shown> {
    let site: &Site = &site;
    let (page, slug, now) = (page_number(page)?, slug.get()?, clock.now());
    let Some(author) = taxonomy::author_by_slug(&db, slug).await? else {
        return super::moved(&db, Kind::Author, slug, now, &page_query(page)).await;
    };
    let path = format!("/authors/{}", author.slug);
    let data = load(&db, site, Listing::Author(author.id), page, now, &path).await?;
    let description = if author.bio.is_empty() {
        format!("Posts by {} on {}.", author.display_name, site.title)
    } else {
        author.bio.clone()
    };
    let mut meta =
        Meta::new(site, &author.display_name, &description, &path).with_feed(&author.display_name, &path);
    meta.og_type = "profile";
    let meta = meta.with_json_ld(json_ld_graph(vec![
        json!({"@type": "ProfilePage", "url": site.url(&path),
               "mainEntity": {"@type": "Person", "name": author.display_name, "description": author.bio}}),
        breadcrumbs(site, &[(&author.display_name, &path)]),
    ]));
    Ok(render(site, hx, Intro::Author(author), data, meta)?.into())
}

/// Head metadata of a page that collects posts (a tag, a series), with its feeds.
pub(super) fn collection_meta(site: &Site, name: &str, description: &str, path: &str) -> Meta {
    Meta::new(site, name, description, path).with_feed(name, path).with_json_ld(json_ld_graph(vec![
        json!({"@type": "CollectionPage", "name": name, "description": description, "url": site.url(path)}),
        breadcrumbs(site, &[(name, path)]),
    ]))
}

impl Fragment for ListingPage<'_> {
    /// The next posts and the pager that loads the ones after them.
    fn render_fragment(&self) -> askama::Result<String> {
        self.as_entries().render()
    }
}

impl ListingPage<'_> {
    /// The `<h1>` of the page.
    fn heading(&self) -> String {
        let base = match &self.intro {
            Intro::Home => self.site.title.clone(),
            Intro::Tag(tag) => tag.name.clone(),
            Intro::Author(author) => author.display_name.clone(),
        };
        if self.paging.is_first() { base } else { format!("{base} — page {}", self.paging.page()) }
    }
}
