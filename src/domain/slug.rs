//! URL slugs: the only shape of identifier that appears in public URLs.

use std::fmt;

/// Longest slug accepted, in bytes (all slug characters are ASCII).
pub const MAX_LEN: usize = 96;

/// How many times a writer tries [`Slug::candidate`] before giving up on a unique slug.
pub const ALLOCATION_ATTEMPTS: usize = 8;

/// How many of those try the next free number before random ones (see [`Slug::candidate`]).
const SEQUENTIAL_ATTEMPTS: usize = 3;

/// Paths at the site root that belong to Folio itself, so a static page may not take them.
pub const RESERVED: &[&str] = &[
    "account",
    "admin",
    "api",
    "assets",
    "atom",
    "authors",
    "confirm",
    "feed",
    "feeds",
    "healthz",
    "invite",
    "login",
    "logout",
    "media",
    "metrics",
    "page",
    "pages",
    "password-reset",
    "posts",
    "preview",
    "readyz",
    "robots-txt",
    "rss",
    "search",
    "series",
    "setup",
    "sign-in",
    "sign-out",
    "sign-up",
    "signin",
    "signout",
    "signup",
    "sitemap",
    "static",
    "tags",
    "two-factor",
    "uploads",
];

/// A validated slug: lowercase ASCII letters and digits in runs joined by single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlugError {
    Empty,
    TooLong,
    BadCharacters,
    Reserved,
}

impl fmt::Display for SlugError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SlugError::Empty => "A slug cannot be empty.",
            SlugError::TooLong => "A slug can be at most 96 characters long.",
            SlugError::BadCharacters => "Use only lowercase letters, digits and single hyphens between them.",
            SlugError::Reserved => "This address is used by Folio itself; choose another.",
        })
    }
}

impl Slug {
    /// Accepts `input` only if it already is a well-formed slug.
    pub fn parse(input: &str) -> Result<Slug, SlugError> {
        if input.is_empty() {
            return Err(SlugError::Empty);
        }
        if input.len() > MAX_LEN {
            return Err(SlugError::TooLong);
        }
        let well_formed = input
            .split('-')
            .all(|run| !run.is_empty() && run.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if !well_formed {
            return Err(SlugError::BadCharacters);
        }
        Ok(Slug(input.to_owned()))
    }

    /// Like [`Slug::parse`], and also refuses the root paths Folio serves itself.
    pub fn parse_page(input: &str) -> Result<Slug, SlugError> {
        let slug = Slug::parse(input)?;
        if RESERVED.contains(&slug.as_str()) {
            return Err(SlugError::Reserved);
        }
        Ok(slug)
    }

    /// Derives a slug from free text ("Ünïcode & Rust!" → "unicode-rust"); `None` when nothing usable
    /// remains (a title of only punctuation, say).
    ///
    /// Symbols that tell names apart are spelled out first ([`spell_symbols`]), so "C#" and "C++"
    /// do not both become `c`. Other clashes (`Go!` and `Go?`) are the caller's to resolve, with
    /// [`Slug::first_free`].
    pub fn from_title(title: &str) -> Option<Slug> {
        let ascii = deunicode::deunicode(&spell_symbols(title)).to_ascii_lowercase();
        let mut out = String::with_capacity(ascii.len());
        for word in ascii.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
            if out.len() + word.len() + 1 > MAX_LEN {
                break;
            }
            if !out.is_empty() {
                out.push('-');
            }
            out.push_str(word);
        }
        if out.is_empty() {
            // A single over-long word: cut it rather than give up.
            out = ascii.chars().filter(char::is_ascii_alphanumeric).take(MAX_LEN).collect();
        }
        Slug::parse(&out).ok()
    }

    /// [`Slug::from_title`], or `fallback` (a plain lowercase word) when the title has nothing
    /// to make a slug of.
    pub fn from_title_or(title: &str, fallback: &'static str) -> Slug {
        Slug::from_title(title).unwrap_or_else(|| Slug(fallback.to_owned()))
    }

    /// This slug with a numeric suffix, for resolving a clash ("post" → "post-2").
    pub fn with_suffix(&self, n: u32) -> Slug {
        let suffix = format!("-{n}");
        let keep = self.0.len().min(MAX_LEN - suffix.len());
        let base = self.0[..keep].trim_end_matches('-');
        Slug(format!("{base}{suffix}"))
    }

    /// The first of this slug, `slug-2`, `slug-3`, … for which `taken` says no; how WordPress and
    /// Ghost give a second "Weekly notes" its own address.
    pub fn first_free(&self, taken: impl Fn(&str) -> bool) -> Slug {
        if !taken(&self.0) {
            return self.clone();
        }
        (2..).map(|n| self.with_suffix(n)).find(|s| !taken(s.as_str())).unwrap_or_else(|| self.clone())
    }

    /// The slug to try on attempt `attempt` (0-based) of storing a new row whose slug must be
    /// unique, given what `taken` says is stored: [`Slug::first_free`] for the first
    /// [`SEQUENTIAL_ATTEMPTS`], then `slug-N` with a random `N` of six digits. A failed attempt
    /// means a concurrent writer took that very slug, so with many writers at once the numbered
    /// candidates collide again and again; random ones spread them out (two in a million clash),
    /// so [`ALLOCATION_ATTEMPTS`] tries are plenty however many write at once.
    pub fn candidate(&self, attempt: usize, taken: impl Fn(&str) -> bool) -> Slug {
        if attempt < SEQUENTIAL_ATTEMPTS {
            return self.first_free(taken);
        }
        let n = u32::from_le_bytes(super::secrets::random_bytes::<4>());
        self.with_suffix(100_000 + n % 900_000)
    }

    /// What every candidate of [`Slug::first_free`] starts with: the slug itself, or for a long
    /// one the part [`Slug::with_suffix`] keeps (room for an 8-character `-N`). Query the taken
    /// ones with `LIKE 'prefix%'` (slugs hold no `%` or `_`).
    pub fn family_prefix(&self) -> &str {
        self.0[..self.0.len().min(MAX_LEN - 8)].trim_end_matches('-')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Spells out the symbols that carry meaning in names: `#` and `+` after a letter or digit
/// ("C#" → "C sharp", "C++" → "C plus plus", "Google+"), `&` ("Q&A" → "Q and A") and `@`.
/// Elsewhere they are punctuation ("#1 tip", "+1") and dropped with the rest.
fn spell_symbols(title: &str) -> String {
    let mut out = String::with_capacity(title.len() + 16);
    let mut prev: Option<char> = None;
    for c in title.chars() {
        match c {
            '#' if prev.is_some_and(char::is_alphanumeric) => out.push_str(" sharp "),
            '+' if prev.is_some_and(|p| p.is_alphanumeric() || p == '+') => out.push_str(" plus "),
            '&' => out.push_str(" and "),
            '@' => out.push_str(" at "),
            _ => out.push(c),
        }
        prev = Some(c);
    }
    out
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_canonical_slugs() {
        assert!(Slug::parse("hello-world-2").is_ok());
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        for bad in ["Hello", "a--b", "-a", "a-", "a b", "a_b", "é", "../etc", "a/b"] {
            assert_eq!(Slug::parse(bad), Err(SlugError::BadCharacters), "{bad}");
        }
        assert_eq!(Slug::parse(&"a".repeat(97)), Err(SlugError::TooLong));
    }

    #[test]
    fn page_slugs_cannot_shadow_folio_routes() {
        assert_eq!(Slug::parse_page("admin"), Err(SlugError::Reserved));
        assert!(Slug::parse_page("about").is_ok());
    }

    #[test]
    fn from_title_transliterates_and_joins_words() {
        let slug = Slug::from_title("  Ünïcode & Rust: a <script> story!  ");
        assert_eq!(slug.map(Slug::into_string).as_deref(), Some("unicode-and-rust-a-script-story"));
        assert_eq!(Slug::from_title("!!!"), None);
        let long = Slug::from_title(&"word ".repeat(50)).expect("slug");
        assert!(long.as_str().len() <= MAX_LEN);
        let one_word = Slug::from_title(&"x".repeat(200)).expect("slug");
        assert_eq!(one_word.as_str().len(), MAX_LEN);
    }

    #[test]
    fn meaningful_symbols_are_spelled_out() {
        let slug = |t: &str| Slug::from_title(t).map(Slug::into_string).unwrap_or_default();
        assert_eq!(slug("C#"), "c-sharp");
        assert_eq!(slug("C++"), "c-plus-plus");
        assert_eq!(slug("F# and C# in 2026"), "f-sharp-and-c-sharp-in-2026");
        assert_eq!(slug("#1 tip: +1 it"), "1-tip-1-it");
        assert_eq!(slug("Q&A"), "q-and-a");
        assert_ne!(slug("C#"), slug("C++"));
    }

    #[test]
    fn first_free_numbers_a_taken_slug() {
        let base = Slug::parse("weekly-notes").expect("slug");
        let taken = ["weekly-notes", "weekly-notes-2", "weekly-notes-4"];
        assert_eq!(base.first_free(|s| taken.contains(&s)).as_str(), "weekly-notes-3");
        assert_eq!(base.first_free(|_| false).as_str(), "weekly-notes");
        let long = Slug::parse(&format!("{}-b", "a".repeat(94))).expect("slug");
        for n in [2, 10, 999] {
            assert!(long.with_suffix(n).as_str().starts_with(long.family_prefix()), "{n}");
        }
    }

    #[test]
    fn later_candidates_are_random_numbers_in_the_family() {
        let base = Slug::parse("weekly-notes").expect("slug");
        assert_eq!(base.candidate(0, |s| s == "weekly-notes").as_str(), "weekly-notes-2");
        let late: Vec<Slug> = (0..20).map(|_| base.candidate(ALLOCATION_ATTEMPTS - 1, |_| false)).collect();
        for slug in &late {
            let n = slug.as_str().strip_prefix("weekly-notes-").expect("in the family");
            assert_eq!(n.len(), 6, "{slug}");
            assert!(Slug::parse(slug.as_str()).is_ok());
        }
        assert!(late.iter().any(|s| s != &late[0]), "random, not one number");
    }

    #[test]
    fn suffix_keeps_the_slug_within_bounds() {
        let slug = Slug::parse(&"a".repeat(96)).expect("slug");
        let suffixed = slug.with_suffix(12);
        assert_eq!(suffixed.as_str().len(), 96);
        assert!(suffixed.as_str().ends_with("-12"));
        assert!(Slug::parse(suffixed.as_str()).is_ok());
    }
}
