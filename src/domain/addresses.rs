//! Where each kind of public item lives: the path a slug makes, for links, the sitemap and the
//! 301s from old slugs.

/// A kind of item the public site serves at a slug of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Post,
    Page,
    Tag,
    Author,
    Series,
}

impl Kind {
    /// Every kind, in the order the sitemap index lists them.
    pub const ALL: [Kind; 5] = [Kind::Post, Kind::Page, Kind::Tag, Kind::Author, Kind::Series];

    /// The name stored in `slug_history.kind` (the migration's CHECK lists the same five).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::Page => "page",
            Kind::Tag => "tag",
            Kind::Author => "author",
            Kind::Series => "series",
        }
    }

    /// The plural that names this kind's child sitemaps (`/sitemaps/posts-1.xml`).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Post => "posts",
            Kind::Page => "pages",
            Kind::Tag => "tags",
            Kind::Author => "authors",
            Kind::Series => "series",
        }
    }

    /// The kind whose [`Kind::plural`] is `name`.
    pub fn from_plural(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.plural() == name)
    }

    /// The site-relative path of the item at `slug`: `/posts/hello`, `/about`, `/tags/rust`,
    /// `/authors/ada`, `/series/learn-rust`. A page with the empty slug is the home page, `/`.
    pub fn path(self, slug: &str) -> String {
        match self {
            Kind::Post => format!("/posts/{slug}"),
            Kind::Page => format!("/{slug}"),
            Kind::Tag => format!("/tags/{slug}"),
            Kind::Author => format!("/authors/{slug}"),
            Kind::Series => format!("/series/{slug}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_names_round_trip() {
        assert_eq!(Kind::Post.path("hello"), "/posts/hello");
        assert_eq!(Kind::Page.path("about"), "/about");
        assert_eq!(Kind::Page.path(""), "/");
        for kind in Kind::ALL {
            assert_eq!(Kind::from_plural(kind.plural()), Some(kind));
        }
        assert_eq!(Kind::from_plural("post"), None);
    }
}
