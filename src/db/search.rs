//! Full-text search over what readers can see: published posts whose moment has come, and
//! published pages. SQLite ranks with FTS5's `bm25` over `post_search` and `page_search`;
//! PostgreSQL with `ts_rank` over the generated `search_vector` columns (migrations 0009). In
//! both, a title match weighs ten times a body match.
//!
//! A search runs in two steps, so that its cost does not grow with the number of matches:
//! [`candidates`] takes the newest [`CANDIDATES`] matches of each [`Tier`] with their scores
//! (FTS5 and a backward scan of the primary key both yield matches newest first and stop at the
//! limit), the caller ranks them, and [`hits`] reads titles, addresses and snippets for the one
//! page of results shown.

use sqlx::FromRow;

use super::{Db, on_pool, placeholders};
use crate::domain::Timestamp;
use crate::domain::search::{CANDIDATES, Rank, SearchQuery, Tier, Total};

/// Posts or pages: each has its own index, and its own column for a result's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Post,
    Page,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Post, Kind::Page];

    /// (table, FTS5 index, date column, visibility beyond `status = 'published'`).
    fn parts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Kind::Post => ("posts", "post_search", "published_at", " AND t.published_at <= $2"),
            Kind::Page => ("pages", "page_search", "updated_at", ""),
        }
    }
}

/// A match to rank: which row, how relevant (higher is better), and its date.
#[derive(Debug, Clone, FromRow)]
pub struct Candidate {
    pub id: i64,
    pub score: f64,
    pub date: Timestamp,
}

/// One result as shown. `snippet` is the body's best fragment with the matches between
/// [`crate::domain::search::MARK_START`] and `MARK_END`, not yet escaped.
#[derive(Debug, Clone, FromRow)]
pub struct Hit {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub snippet: String,
    /// A post's publication time, a page's last change.
    pub date: Timestamp,
}

/// The newest [`CANDIDATES`] + 1 readable `kind`s matching `query` in `tier` as of `now`,
/// newest first, each with its score.
pub async fn candidates(
    db: &Db,
    kind: Kind,
    query: &SearchQuery,
    tier: Tier,
    now: Timestamp,
) -> sqlx::Result<Vec<Candidate>> {
    let (table, index, date, visible) = kind.parts();
    // One more than is ranked, to know whether there were more.
    let limit = CANDIDATES as i64 + 1;
    match db {
        // bm25's weights are per column (title, body_text), lower is better. CROSS JOIN keeps
        // the index the outer loop, so it yields rowids newest first and bm25 runs only for the
        // rows the limit keeps; SQLite otherwise drives from the table and runs the MATCH once
        // a row.
        Db::Sqlite(pool) => {
            let sql = format!(
                "SELECT t.id, -bm25({index}, 10.0, 1.0) AS score, t.{date} AS date
                 FROM {index} CROSS JOIN {table} t ON t.id = {index}.rowid
                 WHERE {index} MATCH $1 AND t.status = 'published'{visible}
                 ORDER BY {index}.rowid DESC LIMIT $3"
            );
            sqlx::query_as(&sql).bind(query.fts5_in(tier)).bind(now).bind(limit).fetch_all(pool).await
        }
        // The title tier matches and ranks the title's own small document; the rest rank by
        // the whole one, where ts_rank's weights {D, C, B, A} make the title (A) count ten times
        // the body (B). The limit is taken in a subquery, so ts_rank runs only for the rows it
        // keeps.
        Db::Postgres(pool) => {
            let (matched, ranked) = match tier {
                Tier::Title => ("t.title_vector @@ q.query", "ts_rank(c.vector, q.query)"),
                Tier::Elsewhere => (
                    "t.search_vector @@ q.query AND NOT t.title_vector @@ q.query",
                    "ts_rank('{0.1, 0.2, 0.1, 1.0}', c.vector, q.query)",
                ),
            };
            let vector = if tier == Tier::Title { "title_vector" } else { "search_vector" };
            let sql = format!(
                "WITH q AS (SELECT to_tsquery('simple', folio_unaccent($1)) AS query)
                 SELECT c.id, {ranked}::float8 AS score, c.date
                 FROM (SELECT t.id, t.{vector} AS vector, t.{date} AS date FROM {table} t, q
                       WHERE {matched} AND t.status = 'published'{visible}
                       ORDER BY t.id DESC LIMIT $3) c, q"
            );
            // Not prepared for reuse: planned with the query's text at hand, PostgreSQL scans the
            // primary key backwards for a common word and the GIN index for a rare one; a generic
            // plan must pick one for both.
            sqlx::query_as(&sql)
                .bind(query.tsquery())
                .bind(now)
                .bind(limit)
                .persistent(false)
                .fetch_all(pool)
                .await
        }
    }
}

/// Titles, slugs, dates and snippets of the `kind`s with these `ids`, in no particular order.
pub async fn hits(db: &Db, kind: Kind, query: &SearchQuery, ids: &[i64]) -> sqlx::Result<Vec<Hit>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (table, index, date, _) = kind.parts();
    let marks = placeholders(ids.len(), 2);
    let sql = match db {
        Db::Sqlite(_) => format!(
            "SELECT t.id, t.slug, t.title, t.{date} AS date,
                 snippet({index}, 1, char(2), char(3), '…', 24) AS snippet
             FROM {index} CROSS JOIN {table} t ON t.id = {index}.rowid
             WHERE {index} MATCH $1 AND {index}.rowid IN ({marks})"
        ),
        // ts_headline reads the whole body, so it runs for the page of results only.
        Db::Postgres(_) => format!(
            "SELECT t.id, t.slug, t.title, t.{date} AS date,
                 ts_headline('simple', t.body_text, to_tsquery('simple', folio_unaccent($1)),
                     'StartSel=' || chr(2) || ', StopSel=' || chr(3)
                     || ', MaxWords=24, MinWords=12, MaxFragments=1') AS snippet
             FROM {table} t WHERE t.id IN ({marks})"
        ),
    };
    let text = match db {
        Db::Sqlite(_) => query.fts5(),
        Db::Postgres(_) => query.tsquery(),
    };
    on_pool!(db, |pool| {
        let mut select = sqlx::query_as(&sql).bind(&text);
        for id in ids {
            select = select.bind(id);
        }
        select.fetch_all(pool).await
    })
}

/// One page of results, in rank order, and how many there are in all.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub hits: Vec<(Kind, Hit)>,
    pub total: Total,
}

impl Results {
    /// Roughly the bytes these take in memory, for a cache bounded by bytes.
    pub fn size(&self) -> usize {
        let strings: usize =
            self.hits.iter().map(|(_, h)| h.slug.len() + h.title.len() + h.snippet.len()).sum();
        std::mem::size_of::<Results>() + strings + self.hits.len() * std::mem::size_of::<(Kind, Hit)>()
    }
}

/// One page of results for `query` as of `now`: `limit` from `offset` in rank order
/// ([`Rank::best_first`]), with the total.
pub async fn search(
    db: &Db,
    query: &SearchQuery,
    now: Timestamp,
    offset: usize,
    limit: usize,
) -> sqlx::Result<Results> {
    let mut ranked = Vec::new();
    let mut capped = false;
    for kind in Kind::ALL {
        for tier in Tier::ALL {
            let mut found = candidates(db, kind, query, tier, now).await?;
            capped |= found.len() > CANDIDATES;
            found.truncate(CANDIDATES);
            ranked
                .extend(found.into_iter().map(|c| (kind, c.id, Rank { tier, score: c.score, date: c.date })));
        }
    }
    ranked.sort_by(|a, b| Rank::best_first(&a.2, &b.2));
    let total = Total { count: ranked.len(), capped };
    let shown: Vec<(Kind, i64)> =
        ranked.iter().skip(offset).take(limit).map(|(kind, id, _)| (*kind, *id)).collect();
    let mut found = Vec::with_capacity(shown.len());
    for kind in Kind::ALL {
        let ids: Vec<i64> = shown.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
        found.extend(hits(db, kind, query, &ids).await?.into_iter().map(|hit| (kind, hit)));
    }
    // Back into rank order; a row deleted between the two steps is left out.
    let hits = shown
        .iter()
        .filter_map(|key| found.iter().position(|(k, h)| (*k, h.id) == *key))
        .map(|i| found[i].clone())
        .collect();
    Ok(Results { hits, total })
}
