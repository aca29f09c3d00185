//! Markdown → safe HTML. CommonMark plus tables, footnotes and strikethrough; every heading gets an
//! anchor; the result is sanitised by ammonia, so raw HTML in a post cannot run script.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use linkify::{LinkFinder, LinkKind};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, TextMergeStream, html};

use super::slug::Slug;

/// The version of what [`render`] makes. Bodies are stored rendered, so whenever the output
/// changes this goes up, and every process re-renders the stored bodies once at start-up
/// (`crate::rerender`). 2: body ids under `user-content-`, heading permalinks, footnote
/// back-links, autolinks, grapheme-safe excerpts. 3: the plain text ([`Rendered::text`]) that
/// search indexes.
pub const VERSION: u32 = 3;

/// Words read per minute, for the reading-time estimate.
const WORDS_PER_MINUTE: usize = 230;
/// Length of a generated excerpt, in characters.
const EXCERPT_CHARS: usize = 220;

/// What a Markdown body turns into; stored beside the source so pages never render Markdown.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: String,
    pub reading_minutes: i64,
    /// Plain text from the start of the body, cut at a word boundary.
    pub excerpt: String,
    /// The body's whole text without markup, a line per block: what search indexes and quotes.
    pub text: String,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, &["id"]);
    }
    b.add_tags(&["del", "sup", "figure", "figcaption"])
        .add_tag_attributes("a", &["class", "aria-label"])
        .add_tag_attributes("code", &["class"])
        .add_tag_attributes("div", &["class", "id"])
        .add_tag_attributes("sup", &["class", "id"])
        .add_tag_attributes("img", &["loading", "decoding"])
        .set_tag_attribute_value("img", "loading", "lazy")
        .set_tag_attribute_value("img", "decoding", "async")
        .link_rel(Some("noopener noreferrer"))
        // Ids a writer typed in raw HTML join the body's namespace too (ammonia leaves ids that
        // already carry the prefix alone).
        .id_prefix(Some(ID_PREFIX));
    b
});

/// Renders `source` to sanitised HTML and derives reading time and excerpt.
pub fn render(source: &str) -> Rendered {
    // Merged text: the parser splits text at `~`, `*` and the like, which would cut URLs short.
    let events = with_ids_and_links(TextMergeStream::new(Parser::new_ext(source, options())).collect());
    let mut raw = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    let (words, excerpt) = plain_text_summary(source);
    Rendered {
        html: with_srcset(&SANITIZER.clean(&raw).to_string()),
        reading_minutes: words.div_ceil(WORDS_PER_MINUTE).max(1) as i64,
        excerpt,
        text: plain_text(source),
    }
}

/// Gives images from the media library a `srcset` of their resized copies, so phones download
/// the small one. Runs on sanitised output; only generated media names are touched.
fn with_srcset(html: &str) -> String {
    const START: &str = "<img src=\"/media/";
    if !html.contains(START) {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(at) = rest.find(START) {
        let after = &rest[at + START.len()..];
        let Some(end) = after.find('"') else { break };
        let name = &after[..end];
        out.push_str(&rest[..at + START.len() + end + 1]);
        // Whether an image moves is in its name, read off its content when it was uploaded.
        let resizable =
            super::media::StoredName::parse(name).is_some_and(super::media::StoredName::has_copies);
        if resizable {
            let set: Vec<String> =
                super::media::VARIANT_WIDTHS.iter().map(|w| format!("/media/{w}/{name} {w}w")).collect();
            out.push_str(&format!(r#" srcset="{}" sizes="(max-width: 48rem) 100vw, 48rem""#, set.join(", ")));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Prefix of every `id` a post body makes, so no heading or footnote can take an id the page
/// around it uses (`main`, `content`), as GitHub does with `user-content-`.
pub const ID_PREFIX: &str = "user-content-";

/// Gives headings and footnotes ids of their own namespace ([`ID_PREFIX`]), unique together,
/// and turns bare URLs in text into links (GFM's autolink extension).
///
/// Headings get a slug id and their text becomes a permalink. Footnotes are numbered in order
/// of first reference; references link to `…fn-N`, and each definition links back to its first
/// reference. Autolinks are made outside links, images, code and headings.
fn with_ids_and_links(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut ids = Ids::new(&events);
    let mut out = Vec::with_capacity(events.len() + 8);
    let mut depth = 0usize;
    let mut definitions = Vec::new();
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, .. }) => {
                let level = *level;
                let end = events[i..]
                    .iter()
                    .position(|e| matches!(e, Event::End(TagEnd::Heading(_))))
                    .map_or(events.len(), |p| i + p);
                let inner = &events[i + 1..end.min(events.len())];
                let text: String = inner
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                let id = format!("{ID_PREFIX}{}", unique_id(&text, &mut ids.used));
                out.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id.clone())),
                    classes: vec![],
                    attrs: vec![],
                }));
                // The heading's text links to itself (a permalink named by the heading; CSS draws
                // the "#"), unless it holds a link already (a footnote reference is one): links
                // cannot nest.
                let has_link = inner
                    .iter()
                    .any(|e| matches!(e, Event::Start(Tag::Link { .. }) | Event::FootnoteReference(_)));
                if !has_link {
                    out.push(Event::InlineHtml(CowStr::from(format!("<a class=\"anchor\" href=\"#{id}\">"))));
                }
                for event in inner {
                    match event {
                        Event::FootnoteReference(name) => out.push(ids.reference(name)),
                        other => out.push(other.clone()),
                    }
                }
                if !has_link {
                    out.push(Event::InlineHtml(CowStr::from("</a>")));
                }
                out.push(Event::End(TagEnd::Heading(level)));
                i = end + 1;
                continue;
            }
            Event::FootnoteReference(name) => out.push(ids.reference(name)),
            Event::Start(Tag::FootnoteDefinition(name)) => {
                let n = ids.number(name);
                definitions.push(n);
                out.push(Event::Html(CowStr::from(format!(
                    "<div class=\"footnote-definition\" id=\"{ID_PREFIX}fn-{n}\"><sup class=\"footnote-definition-label\">{n}</sup>"
                ))));
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                let n = definitions.pop().unwrap_or(0);
                out.push(Event::Html(CowStr::from(format!(
                    "<a class=\"footnote-backref\" href=\"#{ID_PREFIX}fnref-{n}\" aria-label=\"Back to reference {n}\">↩</a></div>\n"
                ))));
            }
            event @ Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_)) => {
                depth += 1;
                out.push(event.clone());
            }
            event @ Event::End(TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock) => {
                depth = depth.saturating_sub(1);
                out.push(event.clone());
            }
            Event::Text(text) if depth == 0 => autolink(text.clone(), &mut out),
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out
}

/// The ids a body has handed out, and its footnotes' numbers.
struct Ids<'a> {
    used: HashSet<String>,
    /// Footnote numbers by label: in order of first reference, then unreferenced definitions.
    numbers: HashMap<&'a str, usize>,
    /// How many references to each footnote were written so far.
    references: HashMap<usize, usize>,
}

impl<'a> Ids<'a> {
    /// Numbers the footnotes of `events` and takes every footnote id up front (`fn-N`, the first
    /// reference's `fnref-N`, later ones' `fnref-N-K`), so no heading can take one.
    fn new(events: &'a [Event<'_>]) -> Ids<'a> {
        let mut numbers = HashMap::new();
        let labels = events.iter().filter_map(|e| match e {
            Event::FootnoteReference(name) => Some(name.as_ref()),
            _ => None,
        });
        let definitions = events.iter().filter_map(|e| match e {
            Event::Start(Tag::FootnoteDefinition(name)) => Some(name.as_ref()),
            _ => None,
        });
        for label in labels.chain(definitions) {
            let next = numbers.len() + 1;
            numbers.entry(label).or_insert(next);
        }
        let mut used: HashSet<String> = numbers.values().map(|n| format!("fn-{n}")).collect();
        let mut seen: HashMap<usize, usize> = HashMap::new();
        for event in events {
            if let Event::FootnoteReference(name) = event {
                let n = numbers.get(name.as_ref()).copied().unwrap_or(0);
                let k = seen.entry(n).or_insert(0);
                *k += 1;
                used.insert(if *k == 1 { format!("fnref-{n}") } else { format!("fnref-{n}-{k}") });
            }
        }
        Ids { used, numbers, references: HashMap::new() }
    }

    fn number(&self, label: &str) -> usize {
        self.numbers.get(label).copied().unwrap_or(0)
    }

    /// A reference to footnote `label`, as HTML.
    fn reference<'e>(&mut self, label: &str) -> Event<'e> {
        let n = self.number(label);
        let k = self.references.entry(n).or_insert(0);
        *k += 1;
        let id = if *k == 1 { format!("fnref-{n}") } else { format!("fnref-{n}-{k}") };
        Event::InlineHtml(CowStr::from(format!(
            "<sup class=\"footnote-reference\" id=\"{ID_PREFIX}{id}\"><a href=\"#{ID_PREFIX}fn-{n}\">{n}</a></sup>"
        )))
    }
}

/// Turns bare URLs (with a scheme, or starting `www.`) and email addresses in `text` into links.
fn autolink<'e>(text: CowStr<'e>, out: &mut Vec<Event<'e>>) {
    let mut finder = LinkFinder::new();
    finder.url_must_have_scheme(false);
    let mut rest = 0;
    for link in finder.links(&text) {
        let found = link.as_str();
        let dest = match link.kind() {
            LinkKind::Email => format!("mailto:{found}"),
            LinkKind::Url if found.contains("://") || found.starts_with("mailto:") => found.to_owned(),
            // GFM links `www.` domains only, not every word with a dot (`file.txt`).
            LinkKind::Url if found.starts_with("www.") => format!("https://{found}"),
            _ => continue,
        };
        if link.start() > rest {
            out.push(Event::Text(CowStr::from(text[rest..link.start()].to_owned())));
        }
        out.push(Event::Start(Tag::Link {
            link_type: pulldown_cmark::LinkType::Autolink,
            dest_url: CowStr::from(dest),
            title: CowStr::from(""),
            id: CowStr::from(""),
        }));
        out.push(Event::Text(CowStr::from(found.to_owned())));
        out.push(Event::End(TagEnd::Link));
        rest = link.end();
    }
    if rest == 0 {
        out.push(Event::Text(text));
    } else if rest < text.len() {
        out.push(Event::Text(CowStr::from(text[rest..].to_owned())));
    }
}

fn unique_id(text: &str, used: &mut HashSet<String>) -> String {
    let base = Slug::from_title(text).map_or_else(|| "section".to_owned(), Slug::into_string);
    let mut id = base.clone();
    let mut n = 2;
    while !used.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// Word count of the whole body and a plain-text excerpt from its first paragraphs.
/// The text of `source` without markup: every text, code and link text, a line per block, with
/// control characters other than those newlines made spaces.
pub fn plain_text(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for event in Parser::new_ext(source, options()) {
        match event {
            // Inline pieces carry their own spacing ("See ", "the docs", " and ").
            Event::Text(t) | Event::Code(t) => {
                out.extend(t.chars().map(|c| if c.is_control() { ' ' } else { c }))
            }
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::TableRow
                | TagEnd::FootnoteDefinition,
            ) if !out.is_empty() && !out.ends_with('\n') => {
                let trimmed = out.trim_end_matches(' ').len();
                out.truncate(trimmed);
                out.push('\n');
            }
            _ => {}
        }
    }
    out.trim().to_owned()
}

fn plain_text_summary(source: &str) -> (usize, String) {
    let mut words = 0;
    let mut excerpt = String::new();
    let mut in_heading_or_code = false;
    let mut excerpt_done = false;
    for event in Parser::new_ext(source, options()) {
        match event {
            Event::Start(Tag::Heading { .. } | Tag::CodeBlock(_)) => in_heading_or_code = true,
            Event::End(TagEnd::Heading(_) | TagEnd::CodeBlock) => in_heading_or_code = false,
            Event::Text(t) | Event::Code(t) => {
                words += t.split_whitespace().count();
                if !in_heading_or_code && !excerpt_done && excerpt.len() < EXCERPT_CHARS * 2 {
                    if !excerpt.is_empty() && !excerpt.ends_with(' ') {
                        excerpt.push(' ');
                    }
                    excerpt.push_str(t.trim());
                }
            }
            Event::SoftBreak | Event::HardBreak if !excerpt_done => excerpt.push(' '),
            // One paragraph makes a better excerpt than the seam between two.
            Event::End(TagEnd::Paragraph) if excerpt.len() >= EXCERPT_CHARS / 2 => excerpt_done = true,
            Event::End(TagEnd::Paragraph) => excerpt.push(' '),
            _ => {}
        }
    }
    (words, super::text::truncate_words(excerpt.trim(), EXCERPT_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_keeps_words_and_drops_markup() {
        let text =
            plain_text("# Café *au* lait\n\nSee [the docs](https://x.org) and `code`.\n\n- one\n- two");
        assert_eq!(text, "Café au lait\nSee the docs and code.\none\ntwo");
        assert!(!plain_text("<script>x</script> a\u{7}b").contains('\u{7}'));
    }

    #[test]
    fn renders_extensions_and_anchors() {
        let r = render(
            "# Intro\n\n## Intro\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ text[^1]\n\n[^1]: note\n",
        );
        assert!(
            r.html.contains("<h1 id=\"user-content-intro\"><a class=\"anchor\" href=\"#user-content-intro\""),
            "{}",
            r.html
        );
        assert!(r.html.contains("<h2 id=\"user-content-intro-2\">"), "{}", r.html);
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("<del>old</del>"));
        assert!(r.html.contains("footnote-definition"));
    }

    #[test]
    fn hostile_markup_is_neutralised() {
        let r = render(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n<a href=\"https://e.org\" onclick=\"x()\">e</a>",
        );
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert!(!r.html.contains("onerror"), "{}", r.html);
        assert!(!r.html.contains("onclick"), "{}", r.html);
        assert!(r.html.contains("rel=\"noopener noreferrer\""), "{}", r.html);
    }

    #[test]
    fn body_ids_are_namespaced_and_unique_across_headings_and_footnotes() {
        let r =
            render("# Note\n\n# Main\n\n## fn 1\n\nText[^note] and again[^note].\n\n[^note]: The note.\n");
        let ids: Vec<&str> = r.html.split(" id=\"").skip(1).map(|s| &s[..s.find('"').unwrap_or(0)]).collect();
        let unique: HashSet<&&str> = ids.iter().collect();
        assert_eq!(ids.len(), unique.len(), "{ids:?}");
        assert!(ids.iter().all(|id| id.starts_with(ID_PREFIX)), "{ids:?}");
        assert!(ids.contains(&"user-content-main"), "{ids:?}");
        assert!(
            r.html.contains(r##"<a href="#user-content-fn-1" rel="noopener noreferrer">1</a>"##),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"id="user-content-fn-1""#), "{}", r.html);
        assert!(r.html.contains(r##"href="#user-content-fnref-1""##), "back-link: {}", r.html);
        assert!(r.html.contains(r#"id="user-content-fnref-1-2""#), "{}", r.html);
    }

    #[test]
    fn bare_urls_and_addresses_become_links_except_in_code_and_links() {
        let tilde = render("Notes at https://example.org/~ada/notes*x* here.");
        assert!(tilde.html.contains(r#"href="https://example.org/~ada/notes""#), "{}", tilde.html);
        let r = render(
            "See https://example.org/a?b=1, www.example.com and ada@example.org.\n\n`https://code.example` [x](https://link.example) file.txt\n\n    https://block.example\n",
        );
        assert!(r.html.contains(r#"<a href="https://example.org/a?b=1" rel="noopener noreferrer">https://example.org/a?b=1</a>,"#), "{}", r.html);
        assert!(
            r.html.contains(
                r#"<a href="https://www.example.com" rel="noopener noreferrer">www.example.com</a>"#
            ),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(
                r#"<a href="mailto:ada@example.org" rel="noopener noreferrer">ada@example.org</a>."#
            ),
            "{}",
            r.html
        );
        assert!(r.html.contains("<code>https://code.example</code>"), "{}", r.html);
        assert_eq!(r.html.matches("link.example").count(), 1, "{}", r.html);
        assert!(!r.html.contains("href=\"https://file.txt"), "{}", r.html);
        assert!(r.html.contains("<pre><code>https://block.example"), "{}", r.html);
    }

    #[test]
    fn footnotes_in_headings_and_raw_ids_stay_in_the_namespace() {
        let r = render("## Results[^1]\n\n<div id=\"main\">x</div>\n\n[^1]: See[^2].\n\n[^2]: Two.\n");
        assert!(r.html.contains(r#"<h2 id="user-content-results">Results<sup class="footnote-reference" id="user-content-fnref-1">"#), "{}", r.html);
        assert!(!r.html.contains(r##"href="#1""##) && !r.html.contains(r##"href="#2""##), "{}", r.html);
        assert!(r.html.contains(r#"id="user-content-fnref-2""#), "{}", r.html);
        assert!(r.html.contains(r#"<div id="user-content-main">"#), "{}", r.html);
    }

    #[test]
    fn permalinks_are_never_hidden_from_assistive_technology() {
        let r = render("## See [the docs](https://e.org)\n\n<a href=\"#x\" aria-hidden=\"true\">x</a>\n");
        assert!(!r.html.contains("aria-hidden"), "{}", r.html);
        assert!(
            r.html.contains("<h2 id=\"user-content-see-the-docs\">See <a href=\"https://e.org\""),
            "{}",
            r.html
        );
    }

    #[test]
    fn code_blocks_keep_their_language_class() {
        let r = render("```rust\nfn main() {}\n```\n");
        assert!(r.html.contains("<code class=\"language-rust\">"), "{}", r.html);
    }

    #[test]
    fn reading_time_and_excerpt() {
        let body = format!("# Title\n\n{}", "word ".repeat(700));
        let r = render(&body);
        assert_eq!(r.reading_minutes, 4);
        assert!(r.excerpt.starts_with("word word"));
        assert!(r.excerpt.ends_with('…'));
        assert!(r.excerpt.chars().count() <= EXCERPT_CHARS + 1);
        assert_eq!(render("").reading_minutes, 1);
    }

    #[test]
    fn library_images_get_a_srcset_and_others_do_not() {
        let html =
            render("![a](/media/0123456789abcdef0123.jpg) ![b](/media/x.jpg) ![c](https://e.org/i.jpg)").html;
        assert!(
            html.contains(
                r#"src="/media/0123456789abcdef0123.jpg" srcset="/media/480/0123456789abcdef0123.jpg 480w"#
            ),
            "{html}"
        );
        assert_eq!(html.matches("srcset").count(), 1, "{html}");
    }
}
