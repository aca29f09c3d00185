//! `/search`: full-text search over published posts and pages, ranked, with a highlighted
//! snippet per result, and `/opensearch.xml`, which lets browsers offer the site's search.

use askama::Template;
use rocket::http::ContentType;
use rocket::request::{self, FromRequest, Request};
use rocket::{State, get};
use rocket_db_pools::Connection;

use crate::db::FolioDb;
use crate::db::search::{self as index, Hit};
use crate::domain::clock::Clock;
use crate::domain::dates;
use crate::domain::pagination::PageNumber;
use crate::domain::search::{MAX_CHARS, SearchQuery, snippet_html};
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

impl From<Hit> for Found {
    fn from(hit: Hit) -> Found {
        let (url, label) = if hit.kind == "page" {
            (format!("/{}", hit.slug), "Page")
        } else {
            (format!("/posts/{}", hit.slug), "Post")
        };
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
    total: i64,
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

#[get("/search?<q>&<page>")]
pub async fn results(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    hx: HxRequest,
    target: Target,
    q: Option<&str>,
    page: Option<&str>,
) -> AppResult<Html> {
    let site: &Site = &site;
    let typed: String = q.unwrap_or("").chars().take(MAX_CHARS).collect();
    let page = PageNumber::parse(page).ok_or_else(AppError::not_found)?;
    let query_string =
        format!("q={}", url::form_urlencoded::byte_serialize(typed.as_bytes()).collect::<String>());
    let mut paging = Paging::new(page, PER_PAGE, "/search", &query_string);
    let parsed = SearchQuery::parse(&typed);
    let (found, total) = match &parsed {
        Some(query) => {
            let now = clock.now();
            let hits = index::search(&db, query, now, paging.limit(), paging.offset()).await?;
            let hits = paging.trim(hits);
            (hits.into_iter().map(Found::from).collect(), index::count(&db, query, now).await?)
        }
        None => (Vec::new(), 0),
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
