//! The feeds: RSS 2.0 (`feed.xml`), Atom 1.0 (`atom.xml`) and JSON Feed 1.1 (`feed.json`) for
//! the whole site at `/`, and for each tag, author and series under its page's address
//! (`/tags/<slug>/feed.xml`, …). What goes into them is `domain::feed`'s; which posts,
//! `db::feeds`'.

use std::io::Cursor;

use rocket::http::{ContentType, Header, MediaType};
use rocket::request::{FromParam, Request};
use rocket::response::{self, Responder, Response};
use rocket::{State, get};
use rocket_db_pools::Connection;

use crate::db::feeds::{self, Scope};
use crate::db::{Db, FolioDb, taxonomy};
use crate::domain::clock::Clock;
use crate::domain::feed::{self, Feed, Format};
use crate::web::error::{AppError, AppResult};
use crate::web::http::conditions::http_date;
use crate::web::params::SlugParam;
use crate::web::view::{Site, SiteRef};

/// A feed document with its media type and, when it has entries, its newest entry's date as
/// `Last-Modified` (the date it states itself as `lastBuildDate` or `updated`), which
/// `If-Modified-Since` is then compared with ([`crate::web::http`]).
pub struct FeedBody {
    body: String,
    content_type: ContentType,
    last_modified: Option<i64>,
}

impl<'r> Responder<'r, 'static> for FeedBody {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Response::build();
        if let Some(time) = self.last_modified {
            res.header(Header::new("Last-Modified", http_date(time)));
        }
        res.header(self.content_type).sized_body(self.body.len(), Cursor::new(self.body)).ok()
    }
}

/// The last segment of a feed's address: one of [`Format`]'s file names. Anything else names no
/// feed, so [`FeedFile::get`] answers "not found" (failing in `from_param` would answer 422).
pub struct FeedFile(Option<Format>);

impl FeedFile {
    fn get(&self) -> AppResult<Format> {
        self.0.ok_or_else(AppError::not_found)
    }
}

impl<'a> FromParam<'a> for FeedFile {
    type Error = std::convert::Infallible;

    fn from_param(param: &'a str) -> Result<Self, Self::Error> {
        Ok(FeedFile(Format::from_file_name(param)))
    }
}

/// What one feed is about: its posts, its page's path (empty for the site) and its words.
struct About {
    scope: Scope,
    path: String,
    title: String,
    description: String,
}

/// The feed `about` in `format`, as readers see it at the clock's time.
async fn serve(db: &Db, site: &Site, clock: &Clock, about: About, format: Format) -> AppResult<FeedBody> {
    let now = clock.now();
    let posts = feeds::newest(db, about.scope, now, i64::from(site.feed_items)).await?;
    let entries = posts.iter().map(|p| feed::entry(&site.base_url, p, site.feed_content)).collect();
    let feed = Feed::new(
        &site.base_url,
        &about.title,
        &about.description,
        &site.language,
        &about.path,
        entries,
        now,
    );
    let (top, sub) = format.media_type();
    let media_type = MediaType::new(top, sub).with_params(("charset", "utf-8"));
    let last_modified = (!feed.entries.is_empty()).then_some(feed.updated);
    Ok(FeedBody { body: format.render(&feed), content_type: ContentType(media_type), last_modified })
}

fn site_feed(site: &Site) -> About {
    About {
        scope: Scope::Site,
        path: String::new(),
        title: site.title.clone(),
        description: site.description.clone(),
    }
}

#[get("/feed.xml")]
pub async fn rss(db: Connection<FolioDb>, site: SiteRef, clock: &State<Clock>) -> AppResult<FeedBody> {
    serve(&db, &site, clock, site_feed(&site), Format::Rss).await
}

#[get("/atom.xml")]
pub async fn atom(db: Connection<FolioDb>, site: SiteRef, clock: &State<Clock>) -> AppResult<FeedBody> {
    serve(&db, &site, clock, site_feed(&site), Format::Atom).await
}

#[get("/feed.json")]
pub async fn json(db: Connection<FolioDb>, site: SiteRef, clock: &State<Clock>) -> AppResult<FeedBody> {
    serve(&db, &site, clock, site_feed(&site), Format::Json).await
}

#[get("/tags/<slug>/<file>")]
pub async fn tag(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    slug: SlugParam,
    file: FeedFile,
) -> AppResult<FeedBody> {
    let format = file.get()?;
    let tag = taxonomy::tag_by_slug(&db, slug.get()?).await?.ok_or_else(AppError::not_found)?;
    let about = About {
        scope: Scope::Tag(tag.id),
        path: format!("/tags/{}", tag.slug),
        title: format!("{} — {}", tag.name, site.title),
        description: format!("Posts tagged “{}” on {}.", tag.name, site.title),
    };
    serve(&db, &site, clock, about, format).await
}

#[get("/authors/<slug>/<file>")]
pub async fn author(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    slug: SlugParam,
    file: FeedFile,
) -> AppResult<FeedBody> {
    let format = file.get()?;
    let author = taxonomy::author_by_slug(&db, slug.get()?).await?.ok_or_else(AppError::not_found)?;
    let about = About {
        scope: Scope::Author(author.id),
        path: format!("/authors/{}", author.slug),
        title: format!("{} — {}", author.display_name, site.title),
        description: format!("Posts by {} on {}.", author.display_name, site.title),
    };
    serve(&db, &site, clock, about, format).await
}

#[get("/series/<slug>/<file>")]
pub async fn series(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    slug: SlugParam,
    file: FeedFile,
) -> AppResult<FeedBody> {
    let format = file.get()?;
    let series = taxonomy::series_by_slug(&db, slug.get()?).await?.ok_or_else(AppError::not_found)?;
    let about = About {
        scope: Scope::Series(series.id),
        path: format!("/series/{}", series.slug),
        title: format!("{} — {}", series.title, site.title),
        description: format!("New parts of the series “{}” on {}.", series.title, site.title),
    };
    serve(&db, &site, clock, about, format).await
}
