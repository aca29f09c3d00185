//! Feeds as feed readers need them: the posts of a feed turned into [`Entry`]s whose text XML
//! can carry, whose URLs are all absolute, whose ids never change, and whose dates are in the
//! form each format asks for. [`write`] serialises them as RSS 2.0, Atom 1.0 and JSON Feed 1.1;
//! [`html`] makes the URLs inside a post's HTML absolute.
//!
//! Sources: RSS 2.0 (rssboard.org/rss-specification), RFC 4287 (Atom), jsonfeed.org/version/1.1,
//! RFC 4151 (`tag:` URIs), XML 1.0 section 2.2 (the characters a document may contain).

pub mod html;
pub mod write;

use time::OffsetDateTime;
use time::macros::format_description;

use super::Timestamp;
use super::dates;

/// The largest `feed_items` setting.
pub const FEED_ITEMS_MAX: u32 = 100;

/// What an entry carries: the whole post, or its excerpt with a link to the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedContent {
    Full,
    Excerpt,
}

impl FeedContent {
    pub const ALL: [FeedContent; 2] = [FeedContent::Full, FeedContent::Excerpt];

    pub fn as_str(self) -> &'static str {
        match self {
            FeedContent::Full => "full",
            FeedContent::Excerpt => "excerpt",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FeedContent::Full => "The whole post",
            FeedContent::Excerpt => "The excerpt, with a link to the post",
        }
    }

    pub fn parse(s: &str) -> Option<FeedContent> {
        FeedContent::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The three formats, each at its own file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RSS 2.0 at `feed.xml`.
    Rss,
    /// Atom 1.0 at `atom.xml`.
    Atom,
    /// JSON Feed 1.1 at `feed.json`.
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Rss => "feed.xml",
            Format::Atom => "atom.xml",
            Format::Json => "feed.json",
        }
    }

    /// The format served at `file_name`, if any.
    pub fn from_file_name(file_name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.file_name() == file_name)
    }

    /// The registered media type (RFC 4287 for Atom; RSS's is in common use though never
    /// registered; JSON Feed 1.1 names `application/feed+json`).
    pub fn media_type(self) -> (&'static str, &'static str) {
        match self {
            Format::Rss => ("application", "rss+xml"),
            Format::Atom => ("application", "atom+xml"),
            Format::Json => ("application", "feed+json"),
        }
    }

    /// `feed` in this format.
    pub fn render(self, feed: &Feed) -> String {
        match self {
            Format::Rss => write::rss(feed),
            Format::Atom => write::atom(feed),
            Format::Json => write::json(feed),
        }
    }
}

/// A visible post as a feed shows it, read by `db::feeds`. URLs may be site-relative.
#[derive(Debug, Clone)]
pub struct FeedPost {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub body_html: String,
    pub cover_image: Option<String>,
    /// The cover's content type and size in bytes, when it is a file of the media library.
    pub cover_type: Option<String>,
    pub cover_length: Option<i64>,
    /// When the post was created: part of its `tag:` id, so it never changes.
    pub created_at: Timestamp,
    pub published_at: Timestamp,
    pub updated_at: Timestamp,
    pub author_name: String,
    pub author_slug: String,
    /// Tag names, primary tag first.
    pub tags: Vec<String>,
}

/// A cover image as an enclosure: absolute URL, content type, size in bytes if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enclosure {
    pub url: String,
    pub mime_type: String,
    pub length: Option<i64>,
}

/// One entry, ready to serialise: every string XML-safe, every URL absolute.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `tag:` URI from the site's host, the post's creation date and its id ([`tag_uri`]).
    pub id: String,
    pub url: String,
    pub title: String,
    pub author_name: String,
    pub author_url: String,
    pub published: Timestamp,
    pub updated: Timestamp,
    pub tags: Vec<String>,
    /// The excerpt, plain text.
    pub summary: String,
    /// The post's HTML with absolute URLs; `None` when the feed carries excerpts.
    pub content_html: Option<String>,
    pub cover: Option<Enclosure>,
}

/// A whole feed: the site's, or a tag's, author's or series'. URLs absolute.
#[derive(Debug, Clone)]
pub struct Feed {
    pub title: String,
    pub description: String,
    pub language: String,
    /// The HTML page the feed follows (`/`, `/tags/rust`, …).
    pub home_url: String,
    pub rss_url: String,
    pub atom_url: String,
    pub json_url: String,
    /// The newest `updated` of its entries (or the time asked, when it has none).
    pub updated: Timestamp,
    pub entries: Vec<Entry>,
}

impl Feed {
    /// A feed of `entries` for the page at `home_url`, with its three formats beside it
    /// (`{prefix}/feed.xml`, `/atom.xml`, `/feed.json`; `prefix` is empty or like `/tags/rust`).
    pub fn new(
        base_url: &str,
        title: &str,
        description: &str,
        language: &str,
        prefix: &str,
        entries: Vec<Entry>,
        now: Timestamp,
    ) -> Feed {
        let home = if prefix.is_empty() { "/" } else { prefix };
        Feed {
            title: xml_safe(title),
            description: xml_safe(description),
            language: xml_safe(language),
            home_url: format!("{base_url}{home}"),
            rss_url: format!("{base_url}{prefix}/feed.xml"),
            atom_url: format!("{base_url}{prefix}/atom.xml"),
            json_url: format!("{base_url}{prefix}/feed.json"),
            updated: entries.iter().map(|e| e.updated).max().unwrap_or(now),
            entries,
        }
    }
}

/// Turns `post` into an entry of the site at `base_url` (absolute, no trailing slash).
pub fn entry(base_url: &str, post: &FeedPost, content: FeedContent) -> Entry {
    let url = format!("{base_url}/posts/{}", post.slug);
    let content_html = match content {
        FeedContent::Full => Some(xml_safe(&html::absolutize(&post.body_html, &url))),
        FeedContent::Excerpt => None,
    };
    Entry {
        id: tag_uri(base_url, post.created_at, post.id),
        title: xml_safe(&post.title),
        author_name: xml_safe(&post.author_name),
        author_url: format!("{base_url}/authors/{}", post.author_slug),
        published: post.published_at,
        // A post saved before it was published still reads as new, never older than itself.
        updated: post.updated_at.max(post.published_at),
        tags: post.tags.iter().map(|t| xml_safe(t)).collect(),
        summary: xml_safe(&post.excerpt),
        content_html,
        cover: post.cover_image.as_deref().and_then(|src| enclosure(&url, src, post)),
        url,
    }
}

fn enclosure(entry_url: &str, src: &str, post: &FeedPost) -> Option<Enclosure> {
    let url = html::resolve(entry_url, src)?;
    let mime_type = post.cover_type.clone().or_else(|| image_type(&url).map(str::to_owned))?;
    // A file of the media library has a known size; another site's image has none we could
    // trust without fetching it, so the formats that allow it leave the length out.
    Some(Enclosure { url: xml_safe(&url), mime_type, length: post.cover_length })
}

/// The image type a URL's extension names, if it names one.
pub fn image_type(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

/// `text` without the characters XML 1.0 forbids: C0 controls other than tab, newline and
/// carriage return, and U+FFFE/U+FFFF (surrogates cannot occur in a Rust string). Whatever a
/// writer pasted, the feed stays well-formed.
pub fn xml_safe(text: &str) -> String {
    text.chars().filter(|&c| !is_xml_forbidden(c)).collect()
}

fn is_xml_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// The entry id of post `id`: `tag:HOST,YYYY-MM-DD:post-ID` (RFC 4151), from the site's host
/// and the day the post was created. Neither a new slug nor a new title changes it, so readers
/// never show an edited post again as new.
pub fn tag_uri(base_url: &str, created_at: Timestamp, id: i64) -> String {
    let host = url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".into());
    let day = format_description!("[year]-[month]-[day]");
    let date = datetime(created_at).format(day).unwrap_or_else(|_| "2026".into());
    format!("tag:{host},{date}:post-{id}")
}

fn datetime(ts: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// RSS's date: RFC 822 (with RFC 1123's four-digit year) and a numeric zone,
/// `Fri, 04 Dec 2026 17:56:49 +0000`; named zones like `GMT` confuse some readers.
pub fn rfc822(ts: Timestamp) -> String {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] +0000"
    );
    datetime(ts).format(format).unwrap_or_default()
}

/// Atom's and JSON Feed's date: RFC 3339, `2026-12-04T17:56:49Z`.
pub fn rfc3339(ts: Timestamp) -> String {
    dates::iso(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post() -> FeedPost {
        FeedPost {
            id: 42,
            slug: "hello".into(),
            title: "A\u{0}B\u{b}C\u{fffe}\tD".into(),
            excerpt: "Short.".into(),
            body_html: r##"<p><a href="#fn1">1</a></p>"##.into(),
            cover_image: Some("/media/abc.JPG".into()),
            cover_type: None,
            cover_length: None,
            created_at: 1_795_420_800,
            published_at: 1_795_420_800,
            updated_at: 1_795_424_400,
            author_name: "Ada".into(),
            author_slug: "ada".into(),
            tags: vec!["Rust".into()],
        }
    }

    #[test]
    fn dates_in_each_form() {
        assert_eq!(rfc822(1_795_420_800), "Mon, 23 Nov 2026 08:00:00 +0000");
        assert_eq!(rfc3339(1_795_420_800), "2026-11-23T08:00:00Z");
    }

    #[test]
    fn ids_come_from_host_creation_day_and_id() {
        assert_eq!(
            tag_uri("https://example.org:8443", 1_795_420_800, 42),
            "tag:example.org,2026-11-23:post-42"
        );
        let mut renamed = post();
        renamed.slug = "renamed".into();
        renamed.title = "Renamed".into();
        let base = "https://example.org";
        assert_eq!(entry(base, &renamed, FeedContent::Full).id, entry(base, &post(), FeedContent::Full).id);
    }

    #[test]
    fn forbidden_characters_are_dropped_and_allowed_ones_kept() {
        assert_eq!(xml_safe("A\u{0}B\u{b}C\u{fffe}\u{ffff}\t\n\rD é"), "ABC\t\n\rD é");
    }

    #[test]
    fn an_entry_is_safe_and_absolute() {
        let e = entry("https://example.org", &post(), FeedContent::Full);
        assert_eq!(e.title, "ABC\tD");
        assert_eq!(e.url, "https://example.org/posts/hello");
        assert_eq!(
            e.content_html.as_deref(),
            Some(r#"<p><a href="https://example.org/posts/hello#fn1">1</a></p>"#)
        );
        let cover = e.cover.expect("a cover");
        assert_eq!(
            (cover.url.as_str(), cover.mime_type.as_str()),
            ("https://example.org/media/abc.JPG", "image/jpeg")
        );
        assert_eq!(e.updated, 1_795_424_400);
        assert!(entry("https://example.org", &post(), FeedContent::Excerpt).content_html.is_none());
    }

    #[test]
    fn known_covers_keep_their_size_and_unknown_types_are_left_out() {
        let mut p = post();
        p.cover_type = Some("image/webp".into());
        p.cover_length = Some(1234);
        let cover = entry("https://example.org", &p, FeedContent::Full).cover.expect("cover");
        assert_eq!((cover.mime_type.as_str(), cover.length), ("image/webp", Some(1234)));
        p.cover_image = Some("https://elsewhere.example/picture".into());
        p.cover_type = None;
        p.cover_length = None;
        assert_eq!(entry("https://example.org", &p, FeedContent::Full).cover, None);
        assert_eq!(image_type("https://x.example/a.png?w=2"), Some("image/png"));
    }
}
