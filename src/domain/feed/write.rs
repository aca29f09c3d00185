//! A [`Feed`] serialised: RSS 2.0 and Atom 1.0 by the rust-syndication crates (which escape
//! text and split a `]]>` across CDATA sections), JSON Feed 1.1 by serde.

use atom_syndication as atom;
use rss::extension::dublincore::DublinCoreExtension;
use serde::Serialize;

use super::{Entry, Feed, rfc822, rfc3339};

/// `text` escaped for HTML element content.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The name feeds give as their generator.
const GENERATOR: &str = "Folio";

/// RSS 2.0 with `atom:link rel="self"`, `guid isPermaLink="false"`, `dc:creator` for the author
/// (RSS's own `author` wants an e-mail address), the excerpt as `description` and, for full
/// content, the post as `content:encoded`.
pub fn rss(feed: &Feed) -> String {
    let items = feed.entries.iter().map(rss_item).collect();
    let mut self_link = atom::Link::default();
    self_link.set_href(feed.rss_url.clone());
    self_link.set_rel("self");
    self_link.set_mime_type(Some("application/rss+xml".to_owned()));
    let channel = rss::Channel {
        title: feed.title.clone(),
        link: feed.home_url.clone(),
        description: feed.description.clone(),
        language: Some(feed.language.clone()),
        last_build_date: Some(rfc822(feed.updated)),
        generator: Some(GENERATOR.into()),
        items,
        atom_ext: Some(rss::extension::atom::AtomExtension { links: vec![self_link] }),
        ..rss::Channel::default()
    };
    channel.to_string()
}

fn rss_item(entry: &Entry) -> rss::Item {
    let mut guid = rss::Guid::default();
    guid.set_value(entry.id.clone());
    guid.set_permalink(false);
    rss::Item {
        title: Some(entry.title.clone()),
        link: Some(entry.url.clone()),
        description: Some(format!("<p>{}</p>", escape_html(&entry.summary))),
        content: entry.content_html.clone(),
        guid: Some(guid),
        pub_date: Some(rfc822(entry.published)),
        categories: entry.tags.iter().map(|t| rss::Category { name: t.clone(), domain: None }).collect(),
        enclosure: entry.cover.as_ref().map(|c| rss::Enclosure {
            url: c.url.clone(),
            // RSS requires the attribute; the RSS Advisory Board's profile says 0 when unknown.
            length: c.length.unwrap_or(0).to_string(),
            mime_type: c.mime_type.clone(),
        }),
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![entry.author_name.clone()],
            ..DublinCoreExtension::default()
        }),
        ..rss::Item::default()
    }
}

fn atom_date(ts: i64) -> atom::FixedDateTime {
    rfc3339(ts).parse().unwrap_or_default()
}

fn atom_link(href: &str, rel: &str, mime: Option<&str>, length: Option<i64>) -> atom::Link {
    let mut link = atom::Link::default();
    link.set_href(href);
    link.set_rel(rel);
    link.set_mime_type(mime.map(str::to_owned));
    link.set_length(length.map(|l| l.to_string()));
    link
}

/// Atom 1.0: `id` the entry's `tag:` URI, `link rel="self"` and `rel="alternate"`, the cover as
/// `link rel="enclosure"` (with `length` when known), the excerpt as `summary` and, for full
/// content, the post as `content type="html"`.
pub fn atom(feed: &Feed) -> String {
    let entries = feed.entries.iter().map(atom_entry).collect();
    let atom_feed = atom::Feed {
        title: atom::Text::plain(feed.title.clone()),
        id: feed.atom_url.clone(),
        updated: atom_date(feed.updated),
        subtitle: Some(atom::Text::plain(feed.description.clone())),
        links: vec![
            atom_link(&feed.atom_url, "self", Some("application/atom+xml"), None),
            atom_link(&feed.home_url, "alternate", Some("text/html"), None),
        ],
        generator: Some(atom::Generator { value: GENERATOR.into(), uri: None, version: None }),
        lang: Some(feed.language.clone()),
        entries,
        ..atom::Feed::default()
    };
    atom_feed.to_string()
}

fn atom_entry(entry: &Entry) -> atom::Entry {
    let mut links = vec![atom_link(&entry.url, "alternate", Some("text/html"), None)];
    if let Some(cover) = &entry.cover {
        links.push(atom_link(&cover.url, "enclosure", Some(&cover.mime_type), cover.length));
    }
    atom::Entry {
        title: atom::Text::plain(entry.title.clone()),
        id: entry.id.clone(),
        updated: atom_date(entry.updated),
        published: Some(atom_date(entry.published)),
        authors: vec![atom::Person {
            name: entry.author_name.clone(),
            uri: Some(entry.author_url.clone()),
            ..atom::Person::default()
        }],
        categories: entry
            .tags
            .iter()
            .map(|t| atom::Category { term: t.clone(), ..atom::Category::default() })
            .collect(),
        links,
        summary: Some(atom::Text::plain(entry.summary.clone())),
        content: entry.content_html.as_ref().map(|html| atom::Content {
            value: Some(html.clone()),
            content_type: Some("html".into()),
            ..atom::Content::default()
        }),
        ..atom::Entry::default()
    }
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    language: &'a str,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    authors: [JsonAuthor<'a>; 1],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    attachments: Option<[JsonAttachment<'a>; 1]>,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<i64>,
}

/// JSON Feed 1.1: the full post as `content_html`, or the excerpt as `content_text`; the cover
/// as `image` and again as an attachment, the format's one place for a type and a size in bytes
/// (given when known).
pub fn json(feed: &Feed) -> String {
    let items =
        feed.entries
            .iter()
            .map(|e| JsonItem {
                id: &e.id,
                url: &e.url,
                title: &e.title,
                content_html: e.content_html.as_deref(),
                content_text: e.content_html.is_none().then_some(e.summary.as_str()),
                summary: &e.summary,
                image: e.cover.as_ref().map(|c| c.url.as_str()),
                date_published: rfc3339(e.published),
                date_modified: rfc3339(e.updated),
                authors: [JsonAuthor { name: &e.author_name, url: &e.author_url }],
                tags: &e.tags,
                attachments: e.cover.as_ref().map(|c| {
                    [JsonAttachment { url: &c.url, mime_type: &c.mime_type, size_in_bytes: c.length }]
                }),
            })
            .collect();
    let doc = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        home_page_url: &feed.home_url,
        feed_url: &feed.json_url,
        description: &feed.description,
        language: &feed.language,
        items,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::feed::Enclosure;

    fn feed() -> Feed {
        let entry = Entry {
            id: "tag:example.org,2026-11-23:post-7".into(),
            url: "https://example.org/posts/a".into(),
            title: "A & B </script>".into(),
            author_name: "Ada".into(),
            author_url: "https://example.org/authors/ada".into(),
            published: 1_795_420_800,
            updated: 1_795_424_400,
            tags: vec!["Rust".into()],
            summary: "Short <b>".into(),
            content_html: Some("<pre>]]></pre>".into()),
            cover: Some(Enclosure {
                url: "https://example.org/media/a.png".into(),
                mime_type: "image/png".into(),
                length: Some(99),
            }),
        };
        Feed::new("https://example.org", "Site", "About", "en", "/tags/rust", vec![entry], 0)
    }

    #[test]
    fn rss_has_a_self_link_an_opaque_guid_and_survives_cdata_ends() {
        let xml = rss(&feed());
        assert!(
            xml.contains(r#"<atom:link href="https://example.org/tags/rust/feed.xml" rel="self""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<guid isPermaLink="false">tag:example.org,2026-11-23:post-7</guid>"#),
            "{xml}"
        );
        assert!(xml.contains("<pubDate>Mon, 23 Nov 2026 08:00:00 +0000</pubDate>"), "{xml}");
        assert!(xml.contains("<title>A &amp; B &lt;/script&gt;</title>"), "{xml}");
        assert!(
            xml.contains(
                r#"<enclosure url="https://example.org/media/a.png" length="99" type="image/png"/>"#
            )
        );
        assert!(xml.contains("<dc:creator>Ada</dc:creator>"), "{xml}");
        // The CDATA section holding the body is split around `]]>`, never closed by it.
        assert_eq!(xml.matches("]]>").count(), xml.matches("<![CDATA[").count(), "{xml}");
    }

    #[test]
    fn atom_and_json_carry_ids_dates_and_the_cover() {
        let xml = atom(&feed());
        assert!(xml.contains("<id>tag:example.org,2026-11-23:post-7</id>"), "{xml}");
        assert!(xml.contains("<published>2026-11-23T08:00:00+00:00</published>"), "{xml}");
        assert!(xml.contains("<updated>2026-11-23T09:00:00+00:00</updated>"), "{xml}");
        assert!(xml.contains(r#"rel="enclosure" type="image/png" length="99""#), "{xml}");
        let doc: serde_json::Value = serde_json::from_str(&json(&feed())).expect("JSON");
        assert_eq!(doc["feed_url"], "https://example.org/tags/rust/feed.json");
        assert_eq!(doc["home_page_url"], "https://example.org/tags/rust");
        let item = &doc["items"][0];
        assert_eq!(item["date_modified"], "2026-11-23T09:00:00Z");
        assert_eq!(item["image"], "https://example.org/media/a.png");
        assert_eq!(item["attachments"][0]["size_in_bytes"], 99);
        assert_eq!(item["content_html"], "<pre>]]></pre>");
    }
}
