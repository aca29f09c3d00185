//! What every template shares: the site (title, navigation, asset URLs) and the page's head
//! metadata for browsers, social cards and crawlers (canonical URL, OpenGraph, JSON-LD).

use std::ops::Deref;
use std::sync::{Arc, RwLock};

use rocket::http::Status;
use rocket::request::{self, FromRequest, Request};
use serde_json::{Value, json};

use crate::config::{NavLink, Settings};
use crate::db::posts::{PostCard, PostLink, PostPage};
use crate::domain::accounts::SignupMode;
use crate::domain::dates;
use crate::domain::feed::FeedContent;
use crate::domain::pagination::PageNumber;
use crate::domain::site_settings::{self, CommentPolicy, Moderation, NavItem};
use crate::web::assets;

/// Site-wide values for templates, built once at start-up and managed by Rocket.
#[derive(Debug, Clone)]
pub struct Site {
    pub title: String,
    pub description: String,
    pub base_url: String,
    pub language: String,
    pub og_locale: String,
    pub posts_per_page: u32,
    /// Entries per feed.
    pub feed_items: u32,
    /// Whole posts or excerpts in feeds.
    pub feed_content: FeedContent,
    pub nav: Vec<NavLink>,
    /// A logo shown beside the title in the header.
    pub logo_url: Option<String>,
    pub signup: SignupMode,
    pub comment_policy: CommentPolicy,
    pub comment_moderation: Moderation,
    /// Days after publication that posts take comments (0: always).
    pub comment_close_days: u32,
    /// Links a comment may hold before it waits for a moderator.
    pub comment_link_limit: u32,
    /// The comment block list, parsed once per settings change.
    pub comment_blocklist: Arc<crate::domain::spam::BlockList>,
    /// Its text, for the settings form.
    pub comment_blocklist_text: String,
    /// The public stylesheet, the only one readers download.
    /// How often digests go out, in words (`monthly`, `weekly`).
    pub newsletter_digest: &'static str,
    pub css_url: String,
    /// Forms, notices and tables: account pages and the admin.
    pub forms_css_url: String,
    /// The admin's workspace.
    pub admin_css_url: String,
    pub js_url: String,
    pub icon_url: String,
}

impl Site {
    pub fn new(settings: &Settings) -> Site {
        Site {
            title: settings.site_title.clone(),
            description: settings.site_description.clone(),
            base_url: settings.base_url.clone(),
            language: settings.language.clone(),
            og_locale: settings.language.replace('-', "_"),
            posts_per_page: settings.posts_per_page,
            feed_items: settings.feed_items,
            feed_content: settings.feed_content,
            nav: settings.nav.clone(),
            logo_url: None,
            signup: settings.signup,
            comment_policy: CommentPolicy::Open,
            comment_moderation: Moderation::FirstTime,
            comment_close_days: 0,
            comment_link_limit: crate::domain::spam::LINK_LIMIT_DEFAULT,
            comment_blocklist: Arc::default(),
            comment_blocklist_text: String::new(),
            newsletter_digest: settings.newsletter.digest_word(),
            css_url: assets::url("css/site.css"),
            forms_css_url: assets::url("css/forms.css"),
            admin_css_url: assets::url("css/admin.css"),
            js_url: assets::url("js/htmx.min.js"),
            icon_url: assets::url("img/favicon.svg"),
        }
    }

    /// Whether anyone may create a member account (the header then offers it).
    pub fn signup_open(&self) -> bool {
        self.signup == SignupMode::Open
    }

    /// The absolute URL of a site path (`/posts/x` → `https://example.org/posts/x`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// An absolute URL for `src`, which may already be absolute.
    pub fn absolute(&self, src: &str) -> String {
        if src.starts_with("http://") || src.starts_with("https://") { src.to_owned() } else { self.url(src) }
    }
}

/// The site as it is now: `Rocket.toml` overlaid with the settings saved from the web (the title
/// chosen at setup, later the admin's settings). Each process reloads the saved settings every
/// few seconds, so a change made through one process reaches all of them.
/// Clones share the same current value.
#[derive(Debug, Clone)]
pub struct LiveSite {
    configured: Settings,
    current: Arc<RwLock<Arc<Site>>>,
}

impl LiveSite {
    pub fn new(configured: &Settings) -> LiveSite {
        LiveSite {
            configured: configured.clone(),
            current: Arc::new(RwLock::new(Arc::new(Site::new(configured)))),
        }
    }

    pub fn get(&self) -> Arc<Site> {
        match self.current.read() {
            Ok(site) => Arc::clone(&site),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Rebuilds the site from the configuration and `saved` (key, value) settings. A saved value
    /// that no longer parses is ignored (the configured one stays), never fatal.
    pub fn apply(&self, saved: &[(String, String)]) {
        let mut settings = self.configured.clone();
        let mut extra: Vec<(&str, &str)> = Vec::new();
        for (key, value) in saved {
            match key.as_str() {
                "site_title" => settings.site_title.clone_from(value),
                "site_description" => settings.site_description.clone_from(value),
                "posts_per_page" => {
                    if let Ok(n) = value.parse() {
                        settings.posts_per_page = n;
                    }
                }
                "feed_items" => {
                    if let Ok(n) = value.parse() {
                        settings.feed_items = n;
                    }
                }
                "feed_content" => {
                    if let Some(content) = FeedContent::parse(value) {
                        settings.feed_content = content;
                    }
                }
                "nav" => {
                    if let Ok(items) = serde_json::from_str::<Vec<NavItem>>(value) {
                        settings.nav =
                            items.into_iter().map(|i| NavLink { label: i.label, url: i.url }).collect();
                    }
                }
                "signup" => {
                    if let Some(mode) = site_settings::parse_signup(value) {
                        settings.signup = mode;
                    }
                }
                _ => extra.push((key, value)),
            }
        }
        let mut site = Site::new(&settings);
        for (key, value) in extra {
            match key {
                "logo_url" => site.logo_url = Some(value.to_owned()).filter(|v| !v.is_empty()),
                "comment_policy" => {
                    site.comment_policy = CommentPolicy::parse(value).unwrap_or(site.comment_policy)
                }
                "comment_moderation" => {
                    site.comment_moderation = Moderation::parse(value).unwrap_or(site.comment_moderation);
                }
                "comment_close_days" => {
                    site.comment_close_days = value.parse().unwrap_or(site.comment_close_days);
                }
                "comment_link_limit" => {
                    site.comment_link_limit = value.parse().unwrap_or(site.comment_link_limit);
                }
                "comment_blocklist" => {
                    site.comment_blocklist = Arc::new(crate::domain::spam::BlockList::parse(value));
                    site.comment_blocklist_text = value.to_owned();
                }
                _ => {}
            }
        }
        let site = Arc::new(site);
        match self.current.write() {
            Ok(mut current) => *current = site,
            Err(poisoned) => *poisoned.into_inner() = site,
        }
    }
}

/// A request's view of the [`LiveSite`]; derefs to [`Site`].
pub struct SiteRef(Arc<Site>);

impl SiteRef {
    pub fn arc(self) -> Arc<Site> {
        self.0
    }
}

impl Deref for SiteRef {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SiteRef {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.rocket().state::<LiveSite>() {
            Some(live) => request::Outcome::Success(SiteRef(live.get())),
            None => request::Outcome::Error((Status::InternalServerError, ())),
        }
    }
}

/// The `<head>` of one page.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The document title, including the site name.
    pub title: String,
    /// The title for social cards, without the site name.
    pub headline: String,
    pub description: String,
    pub canonical: String,
    pub og_type: &'static str,
    pub image: Option<String>,
    pub published_time: Option<String>,
    pub modified_time: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub noindex: bool,
    /// The feeds of the tag, author or series the page shows, beside the site's.
    pub feed: Option<FeedLinks>,
    /// JSON-LD, already escaped for embedding in `<script type="application/ld+json">`.
    pub json_ld: String,
}

impl Meta {
    pub fn new(site: &Site, headline: &str, description: &str, path: &str) -> Meta {
        let title = if headline == site.title {
            headline.to_owned()
        } else {
            format!("{headline} — {}", site.title)
        };
        Meta {
            title,
            headline: headline.to_owned(),
            description: description.to_owned(),
            canonical: site.url(path),
            og_type: "website",
            image: None,
            published_time: None,
            modified_time: None,
            prev: None,
            next: None,
            noindex: false,
            feed: None,
            json_ld: String::new(),
        }
    }

    /// Links the feeds under `path` (a tag's, author's or series' page), named `name`.
    pub fn with_feed(mut self, name: &str, path: &str) -> Meta {
        self.feed = Some(FeedLinks { name: name.to_owned(), path: path.to_owned() });
        self
    }

    pub fn with_json_ld(mut self, value: Value) -> Meta {
        self.json_ld = json_for_script(&value);
        self
    }
}

/// The feeds of one collection: `{path}/feed.xml`, `/atom.xml`, `/feed.json`.
#[derive(Debug, Clone)]
pub struct FeedLinks {
    /// What readers subscribe to, e.g. the tag's name.
    pub name: String,
    /// The collection's page, e.g. `/tags/rust`.
    pub path: String,
}

/// Serialises JSON so that it cannot close the `<script>` element it sits in: `<`, `>` and `&`
/// become `\u003c`, `\u003e` and `\u0026`, which JSON reads as the same characters (they
/// can only occur inside strings). One pass, and no copy when none occurs.
pub fn json_for_script(value: &Value) -> String {
    let json = value.to_string();
    if !json.contains(['<', '>', '&']) {
        return json;
    }
    let mut escaped = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => escaped.push_str("\\u003c"),
            '>' => escaped.push_str("\\u003e"),
            '&' => escaped.push_str("\\u0026"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// schema.org `BreadcrumbList` from (name, path) pairs, starting at the home page.
pub fn breadcrumbs(site: &Site, trail: &[(&str, &str)]) -> Value {
    let items: Vec<Value> = std::iter::once((site.title.as_str(), "/"))
        .chain(trail.iter().copied())
        .enumerate()
        .map(|(i, (name, path))| {
            json!({"@type": "ListItem", "position": i + 1, "name": name, "item": site.url(path)})
        })
        .collect();
    node([("@type", "BreadcrumbList".into()), ("itemListElement", Value::Array(items))])
}

/// A JSON-LD document of schema.org nodes: `{"@context": "https://schema.org", "@graph": nodes}`.
///
/// Built by moving the nodes in: `json!` passes every value it interpolates through
/// `serde_json::to_value`, which copies a `Value` by serialising it, and that copying was most of
/// what an article's metadata cost (callgrind, bench/README.md).
pub fn json_ld_graph(nodes: Vec<Value>) -> Value {
    node([("@context", "https://schema.org".into()), ("@graph", Value::Array(nodes))])
}

/// A JSON object of `members`, moved in (see [`json_ld_graph`]).
fn node<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(members.into_iter().map(|(name, value)| (name.to_owned(), value)).collect())
}

/// One page of a list (the public listings, the admin's lists): which page `?page=` asked for,
/// the rows to fetch, whether more follow, and the links to the neighbouring pages, which keep
/// the list's other query parameters.
///
/// A handler fetches [`Paging::limit`] rows from [`Paging::offset`] (one more than a page
/// holds) and passes them through [`Paging::trim`], which keeps a page's worth and notes
/// whether there are more. How a bad or too-high page number is answered is the caller's choice:
/// the site answers 404, the admin shows page 1 or an empty page.
#[derive(Debug, Clone)]
pub struct Paging {
    page: PageNumber,
    per_page: u32,
    has_next: bool,
    /// The list's address without `page`, e.g. `/admin/posts` or `/admin/posts?status=draft`.
    path_and_query: String,
    /// Whether links to page 1 say `page=1` (the admin's) or leave it out (the site's, so that
    /// they match the page's canonical address).
    numbered_first: bool,
}

impl Paging {
    /// Page `page` of the list at `path`, whose other parameters are `query` (URL-encoded, may be
    /// empty), `per_page` rows a page. Links to page 1 are the plain address.
    pub fn new(page: PageNumber, per_page: u32, path: &str, query: &str) -> Paging {
        let path_and_query = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
        Paging { page, per_page, has_next: false, path_and_query, numbered_first: false }
    }

    /// Links to page 1 say `page=1` too.
    pub fn numbering_the_first_page(self) -> Paging {
        Paging { numbered_first: true, ..self }
    }

    /// The page number, from 1.
    pub fn page(&self) -> u32 {
        self.page.get()
    }

    pub fn is_first(&self) -> bool {
        self.page == PageNumber::FIRST
    }

    /// Rows to skip before this page.
    pub fn offset(&self) -> i64 {
        self.page.offset(self.per_page)
    }

    /// Rows to ask for: one more than a page holds, to know whether a next page exists.
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page) + 1
    }

    /// Keeps a page's worth of `rows` (fetched with [`Paging::limit`]) and notes whether there
    /// were more.
    pub fn trim<T>(&mut self, mut rows: Vec<T>) -> Vec<T> {
        self.has_next = rows.len() > self.per_page as usize;
        rows.truncate(self.per_page as usize);
        rows
    }

    /// The address of this page.
    pub fn current(&self) -> String {
        self.url(self.page)
    }

    pub fn previous(&self) -> Option<String> {
        self.page.previous().map(|page| self.url(page))
    }

    /// The next page's address, once [`Paging::trim`] saw more rows.
    pub fn next(&self) -> Option<String> {
        self.has_next.then(|| self.url(self.page.next()))
    }

    fn url(&self, page: PageNumber) -> String {
        if page == PageNumber::FIRST && !self.numbered_first {
            return self.path_and_query.clone();
        }
        let joint = if self.path_and_query.contains('?') { '&' } else { '?' };
        format!("{}{joint}page={}", self.path_and_query, page.get())
    }
}

/// Dates as templates show them.
pub trait Dated {
    fn timestamp(&self) -> i64;

    fn date(&self) -> String {
        dates::human(self.timestamp())
    }

    fn iso_date(&self) -> String {
        dates::iso(self.timestamp())
    }
}

impl Dated for PostCard {
    fn timestamp(&self) -> i64 {
        self.published_at
    }
}

impl Dated for PostPage {
    fn timestamp(&self) -> i64 {
        self.published_at
    }
}

impl Dated for PostLink {
    fn timestamp(&self) -> i64 {
        self.published_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: &str) -> PageNumber {
        PageNumber::parse(Some(n)).expect("a page number")
    }

    #[test]
    fn json_for_a_script_element_cannot_close_it_and_reads_back_the_same() {
        let value = serde_json::json!({"name": "</script><b>&amp; é", "n": 1});
        let json = json_for_script(&value);
        assert!(!json.contains(['<', '>', '&']), "{json}");
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), value);
        let plain = serde_json::json!({"name": "plain"});
        assert_eq!(json_for_script(&plain), plain.to_string());
    }

    #[test]
    fn paging_links_keep_the_query_and_leave_page_one_plain_unless_asked() {
        let mut second = Paging::new(page("2"), 2, "/tags/rust", "");
        assert_eq!((second.offset(), second.limit()), (2, 3));
        assert_eq!(second.trim(vec![1, 2, 3]), [1, 2]);
        assert_eq!(second.previous().as_deref(), Some("/tags/rust"));
        assert_eq!(second.current(), "/tags/rust?page=2");
        assert_eq!(second.next().as_deref(), Some("/tags/rust?page=3"));

        let mut admin = Paging::new(page("2"), 2, "/admin/posts", "q=a+b").numbering_the_first_page();
        assert_eq!(admin.previous().as_deref(), Some("/admin/posts?q=a+b&page=1"));
        assert_eq!(admin.trim(vec![1, 2]), [1, 2]);
        assert_eq!(admin.next(), None, "no row beyond the page");
        let first = Paging::new(PageNumber::FIRST, 2, "/admin/posts", "").numbering_the_first_page();
        assert_eq!((first.previous(), first.current()), (None, "/admin/posts?page=1".to_owned()));
    }
}
