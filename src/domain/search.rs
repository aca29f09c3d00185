//! What a reader typed into the search box, made into each database's full-text query. Every
//! term holds only letters and digits, so nothing typed can become an operator: quotes,
//! parentheses, `NEAR`, `AND`, `*`, `^`, `:`, NUL and control characters are separators or
//! plain words.

/// Characters of a query read; the rest is ignored, so a 10 KB paste searches its start.
pub const MAX_CHARS: usize = 200;
/// Terms kept (words and phrases); more add nothing a reader can use and cost index lookups.
pub const MAX_TERMS: usize = 12;

/// The most matches of each [`Tier`] one search ranks, on each of posts and pages: a query for a
/// common word ranks its newest `CANDIDATES` matches in titles and its newest elsewhere, so its
/// cost stays flat however large the site grows (bm25 or `ts_rank` over every one of 35,000
/// matches at 100,000 posts took 40 ms to over a second a query; bench/search.sh). Older matches
/// past them are not listed, and the count says so ([`Total`]).
pub const CANDIDATES: usize = 1_000;

/// Where a result matched. Every term in the title outranks a match anywhere else, as WordPress
/// orders its results; within a tier the database's relevance score decides (bm25 or `ts_rank`,
/// in which a title match weighs ten times a body match), then the newer result
/// ([`crate::db::search`] ranks in SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Title,
    Elsewhere,
}

impl Tier {
    pub const ALL: [Tier; 2] = [Tier::Title, Tier::Elsewhere];
}

/// How many results a search has: `count`, or at least that many when a tier of posts or pages
/// reached [`CANDIDATES`] and older matches were not ranked (`capped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Total {
    pub count: usize,
    pub capped: bool,
}

/// One thing every result must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Word(String),
    /// Words in this order, next to each other (`"exact words"`).
    Phrase(Vec<String>),
}

/// A parsed query: every term must match (AND), and the last word, typed without a space after
/// it, also matches words it begins (`rus` finds `rust`), as search-as-you-type needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<Term>,
    prefix_last: bool,
}

/// `text` split into lowercase words of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

impl SearchQuery {
    /// Parses `input`: words (anything but letters and digits separates them) and `"quoted
    /// phrases"`; an unbalanced quote runs to the end. `None` when nothing searchable remains.
    pub fn parse(input: &str) -> Option<SearchQuery> {
        let input: String = input.chars().take(MAX_CHARS).collect();
        let mut terms = Vec::new();
        for (n, part) in input.split('"').enumerate() {
            if n % 2 == 1 {
                match words(part).as_slice() {
                    [] => {}
                    [word] => terms.push(Term::Word(word.clone())),
                    phrase => terms.push(Term::Phrase(phrase.to_vec())),
                }
            } else {
                terms.extend(words(part).into_iter().map(Term::Word));
            }
        }
        terms.truncate(MAX_TERMS);
        let typed_on = input.chars().last().is_some_and(char::is_alphanumeric);
        let prefix_last = typed_on
            && input.matches('"').count().is_multiple_of(2)
            && matches!(terms.last(), Some(Term::Word(_)));
        (!terms.is_empty()).then_some(SearchQuery { terms, prefix_last })
    }

    /// The terms, in order.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// An FTS5 `MATCH` expression (sqlite.org/fts5.html, section 3): each term a quoted string,
    /// a phrase's words in one, the last word `"…" *` when it is a prefix, side by side (AND).
    pub fn fts5(&self) -> String {
        let last = self.terms.len() - 1;
        let parts: Vec<String> = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, term)| {
                let quoted = match term {
                    Term::Word(w) => format!("\"{w}\""),
                    Term::Phrase(p) => format!("\"{}\"", p.join(" ")),
                };
                if i == last && self.prefix_last { format!("{quoted} *") } else { quoted }
            })
            .collect();
        parts.join(" ")
    }

    /// [`SearchQuery::fts5`] restricted to `tier`: every term in the title, or not (FTS5 column
    /// filters and `NOT`, sqlite.org/fts5.html, sections 3.6 and 3.7).
    pub fn fts5_in(&self, tier: Tier) -> String {
        let all = self.fts5();
        match tier {
            Tier::Title => format!("title : ( {all} )"),
            Tier::Elsewhere => format!("( {all} ) NOT ( title : ( {all} ) )"),
        }
    }

    /// A PostgreSQL `to_tsquery` text (PostgreSQL manual, section 8.11.2): words joined by `&`,
    /// a phrase's words by `<->`, the last word `word:*` when it is a prefix.
    pub fn tsquery(&self) -> String {
        let last = self.terms.len() - 1;
        let parts: Vec<String> = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, term)| match term {
                Term::Word(w) if i == last && self.prefix_last => format!("{w}:*"),
                Term::Word(w) => w.clone(),
                Term::Phrase(p) => format!("({})", p.join(" <-> ")),
            })
            .collect();
        parts.join(" & ")
    }
}

/// The marks around a match in a snippet as the databases return it; neither can occur in
/// indexed text, whose control characters are made spaces ([`super::markdown::plain_text`]).
pub const MARK_START: char = '\u{2}';
pub const MARK_END: char = '\u{3}';

/// A snippet with its matches marked by [`MARK_START`] and [`MARK_END`], as HTML: everything
/// escaped, then each mark made `<mark>` or `</mark>`, so the highlighting can never open markup
/// of its own. Unbalanced marks are closed.
pub fn snippet_html(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len() + 32);
    let mut open = false;
    for c in snippet.chars() {
        match c {
            MARK_START if !open => {
                out.push_str("<mark>");
                open = true;
            }
            MARK_END if open => {
                out.push_str("</mark>");
                open = false;
            }
            MARK_START | MARK_END => {}
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_and_a_prefix() {
        let q = SearchQuery::parse(r#"Rust "exact  Words" caf"#).expect("query");
        assert_eq!(q.fts5(), r#""rust" "exact words" "caf" *"#);
        assert_eq!(q.tsquery(), "rust & (exact <-> words) & caf:*");
        assert_eq!(q.fts5_in(Tier::Title), r#"title : ( "rust" "exact words" "caf" * )"#);
        assert_eq!(
            q.fts5_in(Tier::Elsewhere),
            r#"( "rust" "exact words" "caf" * ) NOT ( title : ( "rust" "exact words" "caf" * ) )"#
        );
        let done = SearchQuery::parse("rust ").expect("query");
        assert_eq!(done.fts5(), r#""rust""#, "a space ends the word");
    }

    #[test]
    fn hostile_queries_become_plain_words_or_nothing() {
        for input in ["", "   ", "\"", "\"\"", "()", "*", "^", ":", "\0\u{1}", "-", "(\"", "&|!<->"] {
            assert_eq!(SearchQuery::parse(input), None, "{input:?}");
        }
        let q = SearchQuery::parse("NEAR(a b) AND c* ^d e:f \"unbalanced x").expect("query");
        assert_eq!(q.fts5(), r#""near" "a" "b" "and" "c" "d" "e" "f" "unbalanced x""#);
        assert!(q.tsquery().chars().all(|c| c.is_alphanumeric() || " &()<->:*".contains(c)));
        let long = "word ".repeat(2_000);
        let q = SearchQuery::parse(&long).expect("query");
        assert_eq!(q.terms().len(), MAX_TERMS);
    }

    #[test]
    fn snippets_escape_everything_but_their_marks() {
        let s = snippet_html("a <script>\u{2}x\u{3}</script> & \u{2}open");
        assert_eq!(s, "a &lt;script&gt;<mark>x</mark>&lt;/script&gt; &amp; <mark>open</mark>");
    }
}
