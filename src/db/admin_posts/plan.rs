//! How a query of the admin's post list runs: which rows it walks, so that a page and its capped
//! count read an index in the list's order, whatever the filters and however many posts.

use super::{Arg, COUNT_CAP, PostQuery, Sort, StatusFilter, like_pattern};
use crate::domain::Timestamp;

/// The SQL of one list query: the page's ids (`$limit`, `$offset` follow `args`) and the count.
pub(super) struct Plan {
    /// `SELECT id FROM … ORDER BY …`, without LIMIT and OFFSET.
    pub page: String,
    /// The same for a search with few matches ([`FEW`] at most): driven from the matches, which
    /// are sorted, rather than from the order's index, which would be walked to its end.
    pub page_of_few: Option<String>,
    /// `SELECT COUNT(*)` of at most [`COUNT_CAP`] + 1 matches.
    pub count: String,
    pub args: Vec<Arg>,
}

/// Up to this many matches, sorting them beats walking the list's order past every post. Sorting
/// reads each match's row (about 3 µs in SQLite, as the dates sit after the body); the walk reads
/// index entries (about 40 ns) until the page is full, so a handful of matches among 100,000 posts
/// walk the whole index. At 200, either way stays within a few milliseconds.
pub(super) const FEW: i64 = 200;

/// Whether `text` is long enough for SQLite's trigram index; shorter needles scan the titles.
fn trigram_search(text: &str) -> bool {
    text.chars().count() >= 3
}

/// An FTS5 phrase: the trigram tokenizer makes it a case-insensitive substring match.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Plans `q`. The rows walked are the narrowest index that keeps the list's order:
/// - a tag's posts come from `post_tags`, which carries each post's last-change date in an index
///   of its own; `posts` is joined only when another filter or the title order needs it;
/// - a title search on SQLite is a set of ids from the trigram index (`post_titles`), probed
///   while walking the order's index (`+` keeps SQLite from driving the walk from the set and
///   sorting, which reads every match's row); alone, it is also counted from that index;
/// - on PostgreSQL the title search is a LIKE that its trigram index on lower(title) answers.
pub(super) fn plan(q: &PostQuery, now: Timestamp, sqlite: bool) -> Plan {
    let mut args: Vec<Arg> = Vec::new();
    let mut arg = |a: Arg| {
        args.push(a);
        format!("${}", args.len())
    };
    // Conditions on the posts' own columns.
    let mut on_posts: Vec<String> = Vec::new();
    match q.status {
        StatusFilter::Any => {}
        StatusFilter::Draft => on_posts.push("p.status = 'draft'".into()),
        StatusFilter::Published => {
            on_posts.push(format!("p.status = 'published' AND p.published_at <= {}", arg(Arg::Int(now))))
        }
        StatusFilter::Scheduled => {
            on_posts.push(format!("p.status = 'published' AND p.published_at > {}", arg(Arg::Int(now))))
        }
    }
    if let Some(author) = q.author {
        on_posts.push(format!("p.author_id = {}", arg(Arg::Int(author))));
    }
    if let Some(series) = q.series {
        on_posts.push(format!("p.series_id = {}", arg(Arg::Int(series))));
    }
    let search = q.search.trim();
    let mut titles = None;
    if sqlite && trigram_search(search) {
        titles = Some(format!(
            "SELECT rowid FROM post_titles WHERE post_titles MATCH {}",
            arg(Arg::Text(fts_phrase(search)))
        ));
    } else if sqlite && !search.is_empty() {
        // SQLite's LIKE ignores ASCII case already, as its LOWER() only folds ASCII.
        on_posts.push(format!("p.title LIKE {} ESCAPE '\\'", arg(Arg::Text(like_pattern(search)))));
    } else if !search.is_empty() {
        on_posts.push(format!("LOWER(p.title) LIKE {} ESCAPE '\\'", arg(Arg::Text(like_pattern(search)))));
    }
    let tag = q.tag.map(|tag| arg(Arg::Int(tag)));

    let query = |with_order: bool, probe: &str| -> String {
        let needs_posts = !on_posts.is_empty() || (with_order && q.sort == Sort::Title);
        let (mut clauses, from, id, order) = match &tag {
            Some(tag) => {
                let mut clauses = vec![format!("pt.tag_id = {tag}")];
                let from = if needs_posts {
                    // CROSS JOIN keeps post_tags the outer loop in SQLite; PostgreSQL plans freely.
                    clauses.push("p.id = pt.post_id".to_owned());
                    "post_tags pt CROSS JOIN posts p"
                } else {
                    "post_tags pt"
                };
                let order = match q.sort {
                    Sort::Updated => "pt.post_updated_at DESC, pt.post_id DESC",
                    Sort::Created => "pt.post_id DESC",
                    Sort::Title => Sort::Title.order_by(),
                };
                (clauses, from, "pt.post_id", order)
            }
            None => (Vec::new(), "posts p", "p.id", q.sort.order_by()),
        };
        clauses.extend(on_posts.iter().cloned());
        if let Some(titles) = &titles {
            clauses.push(format!("{probe}{id} IN ({titles})"));
        }
        let clause = if clauses.is_empty() { "1 = 1".to_owned() } else { clauses.join(" AND ") };
        let order = if with_order { format!(" ORDER BY {order}") } else { String::new() };
        format!("SELECT {id} AS id FROM {from} WHERE {clause}{order}")
    };
    let counted = match (&titles, &tag) {
        (Some(titles), None) if on_posts.is_empty() => titles.clone(),
        _ => query(false, ""),
    };
    Plan {
        page: query(true, "+"),
        page_of_few: titles.as_ref().map(|_| query(true, "")),
        count: format!("SELECT COUNT(*) FROM ({counted} LIMIT {}) c", COUNT_CAP + 1),
        args,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> PostQuery {
        PostQuery {
            search: String::new(),
            status: StatusFilter::Any,
            author: None,
            tag: None,
            series: None,
            sort: Sort::Updated,
            limit: 50,
            offset: 0,
        }
    }

    #[test]
    fn a_tag_alone_is_read_from_its_index_without_the_posts() {
        let plan = plan(&PostQuery { tag: Some(7), ..query() }, 0, true);
        assert!(
            plan.page.contains("FROM post_tags pt WHERE pt.tag_id = $1 ORDER BY pt.post_updated_at DESC")
        );
        assert!(plan.count.contains("FROM post_tags pt WHERE"), "{}", plan.count);
        let by_title = super::plan(&PostQuery { tag: Some(7), sort: Sort::Title, ..query() }, 0, true);
        assert!(by_title.page.contains("CROSS JOIN posts p"));
        assert!(!by_title.count.contains("posts p"), "the count needs no order");
    }

    #[test]
    fn title_search_uses_the_trigram_index_on_sqlite_from_three_characters() {
        let long = plan(&PostQuery { search: " Say \"hi\" ".into(), ..query() }, 0, true);
        assert!(long.page.contains("+p.id IN (SELECT rowid FROM post_titles WHERE post_titles MATCH $1)"));
        assert!(long.page_of_few.unwrap().contains("WHERE p.id IN (SELECT rowid"));
        assert_eq!(
            long.count,
            format!(
                "SELECT COUNT(*) FROM (SELECT rowid FROM post_titles WHERE post_titles MATCH $1 LIMIT {}) c",
                COUNT_CAP + 1
            )
        );
        assert!(matches!(&long.args[..], [Arg::Text(t)] if t == "\"Say \"\"hi\"\"\""));
        let short = plan(&PostQuery { search: "ab".into(), ..query() }, 0, true);
        assert!(short.page.contains("p.title LIKE $1"));
        assert!(short.page_of_few.is_none());
        let postgres = plan(&PostQuery { search: "rust".into(), ..query() }, 0, false);
        assert!(postgres.page.contains("LOWER(p.title) LIKE $1"));
        assert!(matches!(&postgres.args[..], [Arg::Text(t)] if t == "%rust%"));
    }

    #[test]
    fn filters_combine_and_number_their_arguments_in_order() {
        let q = PostQuery {
            search: "rust".into(),
            status: StatusFilter::Published,
            author: Some(3),
            tag: Some(4),
            ..query()
        };
        let plan = plan(&q, 99, true);
        assert!(plan.page.contains("pt.tag_id = $4 AND p.id = pt.post_id AND p.status = 'published' AND p.published_at <= $1 AND p.author_id = $2 AND +pt.post_id IN (SELECT rowid FROM post_titles WHERE post_titles MATCH $3)"), "{}", plan.page);
        assert!(plan.count.contains("CROSS JOIN posts p"));
        assert_eq!(plan.args.len(), 4);
    }
}
