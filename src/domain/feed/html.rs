//! Absolute URLs inside a post's HTML. A feed reader shows an entry away from the site, so a
//! relative link, image or footnote anchor would point into the reader itself: every `href`,
//! `src`, `poster`, `cite` and each candidate of a `srcset` is resolved against the entry's own
//! URL (so `#fn1` becomes `https://example.org/posts/x#fn1`).
//!
//! The input is HTML as Folio stores it: serialised by ammonia (html5ever), so attribute values
//! are always quoted and text never holds a raw `<`. The scanner copies everything else as it is.

/// Attributes holding one URL.
const URL_ATTRIBUTES: [&str; 4] = ["href", "src", "poster", "cite"];

/// `html` with every URL in a link-bearing attribute made absolute against `base` (an absolute
/// URL). Values that do not parse as a URL reference are left as they are.
pub fn absolutize(html: &str, base: &str) -> String {
    let Ok(base) = url::Url::parse(base) else { return html.to_owned() };
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            let end = comment.find("-->").map_or(rest.len(), |i| i + 4 + 3);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        rest = copy_tag(rest, &base, &mut out);
    }
    out.push_str(rest);
    out
}

/// Copies the tag at the start of `html` (which starts with `<`) to `out`, rewriting URL
/// attributes; returns what follows it.
fn copy_tag<'h>(html: &'h str, base: &url::Url, out: &mut String) -> &'h str {
    let name_end =
        html[1..].find(|c: char| c.is_whitespace() || c == '>' || c == '/').map_or(html.len(), |i| i + 1);
    out.push_str(&html[..name_end]);
    let mut rest = &html[name_end..];
    loop {
        let skipped = rest.len() - rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/').len();
        out.push_str(&rest[..skipped]);
        rest = &rest[skipped..];
        if rest.is_empty() {
            return rest;
        }
        if let Some(after) = rest.strip_prefix('>') {
            out.push('>');
            return after;
        }
        let name_len =
            rest.find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/').unwrap_or(rest.len());
        let name = &rest[..name_len];
        out.push_str(name);
        rest = &rest[name_len..];
        let Some(after_eq) = rest.strip_prefix('=') else { continue };
        out.push('=');
        let (value, quote, after) = match after_eq.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &after_eq[1..];
                let end = body.find(q).unwrap_or(body.len());
                (&body[..end], Some(q), body.get(end + 1..).unwrap_or(""))
            }
            _ => {
                let end = after_eq.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(after_eq.len());
                (&after_eq[..end], None, &after_eq[end..])
            }
        };
        let lower = name.to_ascii_lowercase();
        let rewritten = if URL_ATTRIBUTES.contains(&lower.as_str()) {
            Some(resolve_escaped(base, value))
        } else if lower == "srcset" {
            Some(srcset(base, value))
        } else {
            None
        };
        out.push('"');
        match rewritten {
            Some(v) => out.push_str(&v),
            None if quote == Some('"') || quote.is_none() => out.push_str(value),
            None => out.push_str(&value.replace('"', "&quot;")),
        }
        out.push('"');
        rest = after;
    }
}

/// `reference` resolved against `base`; `None` if it is not a URL reference.
pub fn resolve(base: &str, reference: &str) -> Option<String> {
    let base = url::Url::parse(base).ok()?;
    base.join(reference.trim()).ok().map(String::from)
}

/// An attribute value (HTML-escaped) resolved, escaped again for a double-quoted attribute.
fn resolve_escaped(base: &url::Url, value: &str) -> String {
    let raw = unescape(value);
    match base.join(raw.trim()) {
        Ok(url) => escape(url.as_str()),
        Err(_) => escape(&raw),
    }
}

/// Each candidate of a `srcset` resolved, descriptors kept. Parsed as the HTML standard does
/// ("parse a srcset attribute"): a URL runs to whitespace; a URL ending in commas has no
/// descriptors; otherwise descriptors run to the next comma outside parentheses.
fn srcset(base: &url::Url, value: &str) -> String {
    let raw = unescape(value);
    let mut rest = raw.as_str();
    let mut candidates = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let url_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let mut url = &rest[..url_end];
        rest = &rest[url_end..];
        let mut descriptor = "";
        if url.ends_with(',') {
            url = url.trim_end_matches(',');
        } else {
            let mut depth = 0usize;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    c == ',' && depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            descriptor = rest[..end].trim();
            rest = &rest[end..];
        }
        let absolute = base.join(url).map(String::from).unwrap_or_else(|_| url.to_owned());
        candidates.push(if descriptor.is_empty() { absolute } else { format!("{absolute} {descriptor}") });
    }
    escape(&candidates.join(", "))
}

fn unescape(value: &str) -> String {
    if !value.contains('&') {
        return value.to_owned();
    }
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

fn escape(value: &str) -> String {
    value.replace('&', "&amp;").replace('"', "&quot;").replace('\u{a0}', "&nbsp;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://example.org/posts/hello";

    #[test]
    fn links_images_and_anchors_become_absolute() {
        let html = r##"<p><a href="/about">About</a> <a href="#fn1" id="r1">1</a> <a href="other">x</a></p><img src="/media/a.jpg" alt="a > b">"##;
        assert_eq!(
            absolutize(html, BASE),
            r##"<p><a href="https://example.org/about">About</a> <a href="https://example.org/posts/hello#fn1" id="r1">1</a> <a href="https://example.org/posts/other">x</a></p><img src="https://example.org/media/a.jpg" alt="a > b">"##
        );
    }

    #[test]
    fn every_srcset_candidate_becomes_absolute() {
        let html = r#"<img src="/media/a.jpg" srcset="/media/480/a.jpg 480w, /media/960/a.jpg 960w,/media/a,b.jpg 2x, https://cdn.example/c.jpg" sizes="(max-width: 48rem) 100vw, 48rem">"#;
        assert_eq!(
            absolutize(html, BASE),
            r#"<img src="https://example.org/media/a.jpg" srcset="https://example.org/media/480/a.jpg 480w, https://example.org/media/960/a.jpg 960w, https://example.org/media/a,b.jpg 2x, https://cdn.example/c.jpg" sizes="(max-width: 48rem) 100vw, 48rem">"#
        );
    }

    #[test]
    fn absolute_urls_escapes_text_and_comments_are_kept() {
        let html = r#"<!-- <a href="/x"> --><a href="https://other.example/?a=1&amp;b=&quot;2&quot;" title="/t">&lt;a href="/no"&gt;</a><br/><a href="mailto:a@example.org">m</a>"#;
        assert_eq!(
            absolutize(html, BASE),
            r#"<!-- <a href="/x"> --><a href="https://other.example/?a=1&amp;b=%222%22" title="/t">&lt;a href="/no"&gt;</a><br/><a href="mailto:a@example.org">m</a>"#
        );
    }

    #[test]
    fn relative_covers_resolve() {
        assert_eq!(resolve(BASE, "/media/a.jpg").as_deref(), Some("https://example.org/media/a.jpg"));
        assert_eq!(resolve("not a url", "/a"), None);
    }
}
