//! `/search`: full-text search over published posts and pages, ranked, with a highlighted
//! snippet per result, and `/opensearch.xml`, which lets browsers offer the site's search.

use askama::Template;
use rocket::http::ContentType;
use rocket::request::{self, FromRequest, Request};
use rocket::{FromForm, State, get};
use rocket_db_pools::Connection;

use crate::cache::SearchCache;
use crate::db::FolioDb;
use crate::db::search::{Hit, Kind};
use crate::domain::addresses;
use crate::domain::clock::Clock;
use crate::domain::dates;
use crate::domain::pagination::PageNumber;
use crate::domain::search::{MAX_CHARS, SearchQuery, Total, snippet_html};
use crate::web::error::{AppError, AppResult};
use crate::web::htmx::{Fragment, Html, HxRequest};
use crate::web::view::{Meta, Paging, Site, SiteRef};

/// Results a page.
const PER_PAGE: u32 = 10;

/// The id of the results' region: the search page's own box swaps only that, so the box being
/// typed in stays; the header's box, on any page, swaps the whole `main`.
const RESULTS: &str = "search-results";

/// One result as shown.
pub struct Found {
    pub title: String,
    pub url: String,
    /// Escaped HTML with `<mark>`s ([`snippet_html`]).
    pub snippet: String,
    pub label: &'static str,
    pub date: String,
}

impl From<(Kind, Hit)> for Found {
    fn from((kind, hit): (Kind, Hit)) -> Found {
        let (address, label) = match kind {
            Kind::Page => (addresses::Kind::Page, "Page"),
            Kind::Post => (addresses::Kind::Post, "Post"),
        };
        let url = address.path(&hit.slug);
        Found {
            title: hit.title,
            url,
            snippet: snippet_html(&hit.snippet),
            label,
            date: dates::human(hit.date),
        }
    }
}

#[derive(Template)]
#[template(path = "site/search.html", blocks = ["content", "results"])]
pub struct SearchPage<'a> {
    site: &'a Site,
    meta: Meta,
    /// What was typed, as typed (at most [`MAX_CHARS`]).
    q: String,
    /// Whether anything searchable was typed.
    searched: bool,
    found: Vec<Found>,
    total: Total,
    paging: Paging,
    /// Which part an htmx request asked for.
    target: Target,
}

/// Which part of the page an htmx request swaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Results,
    Main,
}

/// The element an htmx request targets (`HX-Target`): the results, or anything else (`main`).
#[rocket::async_trait]
impl<'r> FromRequest<'r> for Target {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let results = req.headers().get_one("HX-Target") == Some(RESULTS);
        request::Outcome::Success(if results { Target::Results } else { Target::Main })
    }
}

impl Fragment for SearchPage<'_> {
    fn render_fragment(&self) -> askama::Result<String> {
        match self.target {
            Target::Results => self.as_results().render(),
            Target::Main => self.as_content().render(),
        }
    }
}

/// What the address asks: `q`, what was typed, and `page`, from 1. Other parameters are ignored.
#[derive(FromForm)]
pub struct Asked<'r> {
    q: Option<&'r str>,
    page: Option<&'r str>,
}

#[get("/search?<asked..>")]
pub async fn results(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    cache: &State<SearchCache>,
    hx: HxRequest,
    target: Target,
    asked: Asked<'_>,
) -> AppResult<Html> {
    let site: &Site = &site;
    let typed: String = asked.q.unwrap_or("").chars().take(MAX_CHARS).collect();
    let page = PageNumber::parse(asked.page).ok_or_else(AppError::not_found)?;
    let query_string =
        format!("q={}", url::form_urlencoded::byte_serialize(typed.as_bytes()).collect::<String>());
    let mut paging = Paging::new(page, PER_PAGE, "/search", &query_string);
    let parsed = SearchQuery::parse(&typed);
    let (found, total) = match &parsed {
        Some(query) => {
            let (offset, limit) = (paging.offset() as usize, paging.limit() as usize);
            let results = cache.search(&db, query, clock.now(), offset, limit).await?;
            (paging.trim(results.hits).into_iter().map(Found::from).collect(), results.total)
        }
        None => (Vec::new(), Total::default()),
    };
    let title = if typed.trim().is_empty() {
        "Search".to_owned()
    } else {
        format!("Search results for “{}”", typed.trim())
    };
    let mut meta = Meta::new(site, &title, &format!("Search {}", site.title), &paging.current());
    meta.noindex = true;
    meta.prev = paging.previous().map(|p| site.url(&p));
    meta.next = paging.next().map(|p| site.url(&p));
    let view = SearchPage { site, meta, q: typed, searched: parsed.is_some(), found, total, paging, target };
    Html::page_or_fragment(hx, &view)
}

#[derive(Template)]
#[template(path = "site/opensearch.xml")]
struct OpenSearch<'a> {
    site: &'a Site,
}

/// The OpenSearch 1.1 description (opensearch.org, "OpenSearch description document"): how a
/// browser searches this site from its address bar.
#[get("/opensearch.xml")]
pub fn opensearch(site: SiteRef) -> AppResult<(ContentType, String)> {
    let content_type = ContentType::new("application", "opensearchdescription+xml");
    Ok((content_type, OpenSearch { site: &site }.render()?))
}
