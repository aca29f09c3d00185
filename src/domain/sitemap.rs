//! The sitemap's rules (sitemaps.org protocol 0.9): how many URLs a child sitemap holds, how the
//! children are named, and how a cover image's address is made safe for `<image:loc>`.

use super::addresses::Kind;

/// The most URLs one sitemap file may list (sitemaps.org: "no more than 50,000 URLs"), and
/// the default of the `sitemap_urls` setting.
pub const MAX_URLS: u32 = 50_000;

/// A child sitemap: one part of one kind's URLs, numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub kind: Kind,
    /// 1-based.
    pub number: u32,
}

impl Part {
    /// Parses a child sitemap's file name, `posts-1.xml`; `None` for anything else (including
    /// part 0 and numbers with a sign or leading zeros, so each part has one name).
    pub fn parse(file: &str) -> Option<Part> {
        let stem = file.strip_suffix(".xml")?;
        let (plural, number) = stem.rsplit_once('-')?;
        let kind = Kind::from_plural(plural)?;
        if number.is_empty() || number.starts_with('0') || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Part { kind, number: number.parse().ok()? })
    }

    /// The site-relative path this part is served at: `/sitemaps/posts-1.xml`.
    pub fn path(self) -> String {
        format!("/sitemaps/{}-{}.xml", self.kind.plural(), self.number)
    }

    /// How many rows of this kind's ordered list to skip to reach this part, when each part
    /// holds `per_part` URLs.
    pub fn offset(self, per_part: u32) -> i64 {
        i64::from(self.number - 1) * i64::from(per_part)
    }
}

/// An absolute URL fit for `<loc>` / `<image:loc>`: parsed and serialised again, so spaces,
/// non-ASCII and control characters come out percent-encoded (an `xsd:anyURI`, and nothing XML
/// 1.0 forbids). `None` when it is not an http(s) URL at all.
pub fn clean_url(absolute: &str) -> Option<String> {
    let url = url::Url::parse(absolute).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_canonical_part_names() {
        assert_eq!(Part::parse("posts-1.xml"), Some(Part { kind: Kind::Post, number: 1 }));
        assert_eq!(Part::parse("series-12.xml"), Some(Part { kind: Kind::Series, number: 12 }));
        for bad in [
            "posts-0.xml",
            "posts-01.xml",
            "posts-+1.xml",
            "posts.xml",
            "posts-1",
            "drafts-1.xml",
            "posts-.xml",
        ] {
            assert_eq!(Part::parse(bad), None, "{bad}");
        }
        assert_eq!(Part { kind: Kind::Tag, number: 3 }.path(), "/sitemaps/tags-3.xml");
        assert_eq!(Part { kind: Kind::Tag, number: 3 }.offset(2), 4);
    }

    #[test]
    fn urls_come_out_encoded() {
        assert_eq!(
            clean_url("https://ex.org/media/a b\u{1}é.png").as_deref(),
            Some("https://ex.org/media/a%20b%01%C3%A9.png")
        );
        assert_eq!(clean_url("/relative.png"), None);
        assert_eq!(clean_url("javascript:alert(1)"), None);
    }
}
