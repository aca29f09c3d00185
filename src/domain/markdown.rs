//! Markdown → safe HTML. CommonMark plus tables, footnotes and strikethrough; every heading gets an
//! anchor; the result is sanitised by ammonia, so raw HTML in a post cannot run script.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

use super::slug::Slug;

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
        .add_tag_attributes("a", &["class", "aria-hidden"])
        .add_tag_attributes("code", &["class"])
        .add_tag_attributes("div", &["class", "id"])
        .add_tag_attributes("sup", &["class"])
        .add_tag_attributes("img", &["loading", "decoding"])
        .set_tag_attribute_value("img", "loading", "lazy")
        .set_tag_attribute_value("img", "decoding", "async")
        .link_rel(Some("noopener noreferrer"));
    b
});

/// Renders `source` to sanitised HTML and derives reading time and excerpt.
pub fn render(source: &str) -> Rendered {
    let events = with_heading_anchors(Parser::new_ext(source, options()).collect());
    let mut raw = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    let (words, excerpt) = plain_text_summary(source);
    Rendered {
        html: with_srcset(&SANITIZER.clean(&raw).to_string()),
        reading_minutes: words.div_ceil(WORDS_PER_MINUTE).max(1) as i64,
        excerpt,
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

/// Gives every heading a unique slug `id` and appends a visible "#" link to it.
fn with_heading_anchors(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len() + 8);
    let mut used = HashSet::new();
    let mut i = 0;
    while i < events.len() {
        let Event::Start(Tag::Heading { level, .. }) = &events[i] else {
            out.push(events[i].clone());
            i += 1;
            continue;
        };
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
        let id = unique_id(&text, &mut used);
        out.push(Event::Start(Tag::Heading {
            level,
            id: Some(CowStr::from(id.clone())),
            classes: vec![],
            attrs: vec![],
        }));
        out.extend(inner.iter().cloned());
        out.push(Event::Html(CowStr::from(format!(
            " <a class=\"anchor\" href=\"#{id}\" aria-hidden=\"true\">#</a>"
        ))));
        out.push(Event::End(TagEnd::Heading(level)));
        i = end + 1;
    }
    out
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
    (words, truncate_words(excerpt.trim(), EXCERPT_CHARS))
}

/// Cuts `text` to at most `max` characters at a word boundary, adding an ellipsis when cut.
pub fn truncate_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches(|c: char| c.is_ascii_punctuation() || c == ' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_extensions_and_anchors() {
        let r = render(
            "# Intro\n\n## Intro\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ text[^1]\n\n[^1]: note\n",
        );
        assert!(r.html.contains("<h1 id=\"intro\">Intro <a class=\"anchor\" href=\"#intro\""), "{}", r.html);
        assert!(r.html.contains("<h2 id=\"intro-2\">"), "{}", r.html);
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
