//! Full-text search over what readers can see: published posts whose moment has come, and
//! published pages. SQLite ranks with FTS5's `bm25` over `post_search` and `page_search`;
//! PostgreSQL with `ts_rank` over the generated `search_vector` columns (migrations 0009). In
//! both, a title match weighs ten times a body match.
//!
//! A search runs in two statements, so that its cost does not grow with the number of matches:
//! [`rank`] takes the newest [`CANDIDATES`] matches of each [`Tier`] of posts and of pages with
//! their scores (FTS5 and a backward scan of the primary key both yield matches newest first and
//! stop at the limit) and orders them, returning only the page asked for; [`hits`] then reads
//! titles, slugs and snippets for those results.

use sqlx::FromRow;

use super::{Db, on_pool, placeholders};
use crate::domain::Timestamp;
use crate::domain::search::{CANDIDATES, SearchQuery, Tier, Total};

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
            Kind::Post => ("posts", "post_search", "published_at", " AND t.published_at <= $3"),
            Kind::Page => ("pages", "page_search", "updated_at", ""),
        }
    }
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

/// One row of the ranking statement: a result of the page asked for (`kind` and `id`, none when
/// the page is empty) and, on every row, the total.
#[derive(Debug, FromRow)]
struct Ranked {
    kind: Option<String>,
    id: Option<i64>,
    total: i64,
    capped: i64,
}

/// The subquery of the newest [`CANDIDATES`] readable `kind`s matching in `tier` (its query text
/// is `$1` for the title tier, `$2` for the rest; `$3` is now, `$4` the limit), with their
/// tier, score (higher is better) and date.
fn candidates(db: &Db, kind: Kind, tier: Tier) -> String {
    let (table, index, date, visible) = kind.parts();
    let name = if kind == Kind::Post { "post" } else { "page" };
    let (n, param) = if tier == Tier::Title { (0, "$1") } else { (1, "$2") };
    match db {
        // bm25's weights are per column (title, body_text), lower is better. CROSS JOIN keeps
        // the index the outer loop, so it yields rowids newest first and bm25 runs only for the
        // rows the limit keeps (SQLite otherwise drives from the table and runs the MATCH once a
        // row); posts' visibility comes from a covering index, not from rows full of bodies.
        Db::Sqlite(_) => {
            let covering = if kind == Kind::Post { " INDEXED BY posts_visibility" } else { "" };
            format!(
                "SELECT '{name}' AS kind, {n} AS tier, t.id AS id, -bm25({index}, 10.0, 1.0) AS score, t.{date} AS date
                 FROM {index} CROSS JOIN {table} t{covering} ON t.id = {index}.rowid
                 WHERE {index} MATCH {param} AND t.status = 'published'{visible}
                 ORDER BY {index}.rowid DESC LIMIT $4"
            )
        }
        // The title tier matches and ranks the title's own small document; the rest rank by the
        // whole one, where ts_rank's weights {D, C, B, A} make the title (A) count ten times the
        // body (B). The limit is taken in a subquery, so ts_rank runs only for the rows it keeps.
        Db::Postgres(_) => {
            let q = if tier == Tier::Title { "q1" } else { "q2" };
            let (vector, matched, ranked) = match tier {
                Tier::Title => (
                    "title_vector",
                    format!("t.title_vector @@ {q}.query"),
                    format!("ts_rank(c.vector, {q}.query)"),
                ),
                Tier::Elsewhere => (
                    "search_vector",
                    format!("t.search_vector @@ {q}.query AND NOT t.title_vector @@ {q}.query"),
                    format!("ts_rank('{{0.1, 0.2, 0.1, 1.0}}', c.vector, {q}.query)"),
                ),
            };
            format!(
                "SELECT '{name}'::text AS kind, {n} AS tier, c.id, {ranked}::float8 AS score, c.date
                 FROM (SELECT t.id, t.{vector} AS vector, t.{date} AS date FROM {table} t, {q}
                       WHERE {matched} AND t.status = 'published'{visible}
                       ORDER BY t.id DESC LIMIT $4) c, {q}"
            )
        }
    }
}

/// The page of `query`'s results from `offset` (`limit` of them) as (kind, id) in rank order
/// ([`Tier`] first, then the score, then the newest), and the total. One statement, so that
/// only the page's rows leave the database: sqlx hands SQLite's rows over one by one between
/// threads, which cost more than the ranking for thousands of candidates.
async fn rank(
    db: &Db,
    query: &SearchQuery,
    now: Timestamp,
    offset: usize,
    limit: usize,
) -> sqlx::Result<Vec<Ranked>> {
    let sources: Vec<String> =
        Kind::ALL.iter().flat_map(|&kind| Tier::ALL.map(|tier| candidates(db, kind, tier))).collect();
    let ctes: Vec<String> =
        sources.iter().enumerate().map(|(i, sql)| format!("c{i} AS MATERIALIZED ({sql})")).collect();
    let counts: Vec<String> = (0..sources.len()).map(|i| format!("(SELECT COUNT(*) FROM c{i})")).collect();
    let union: Vec<String> = (0..sources.len()).map(|i| format!("SELECT * FROM c{i}")).collect();
    let queries = match db {
        Db::Sqlite(_) => String::new(),
        Db::Postgres(_) => "q1 AS (SELECT to_tsquery('simple', folio_unaccent($1)) AS query),
             q2 AS (SELECT to_tsquery('simple', folio_unaccent($2)) AS query), "
            .to_owned(),
    };
    let sql = format!(
        "WITH {queries}{ctes},
            n AS (SELECT {total} AS total, CAST(CASE WHEN {capped} THEN 1 ELSE 0 END AS BIGINT) AS capped)
         SELECT r.kind, r.id, n.total, n.capped FROM n LEFT JOIN (
             SELECT kind, id, tier, score, date FROM ({union}) u
             ORDER BY tier, score DESC, date DESC, id DESC LIMIT $5 OFFSET $6) r ON 1 = 1
         ORDER BY r.tier, r.score DESC, r.date DESC, r.id DESC",
        ctes = ctes.join(", "),
        total = counts.join(" + "),
        capped = counts.iter().map(|c| format!("{c} >= $4")).collect::<Vec<_>>().join(" OR "),
        union = union.join(" UNION ALL "),
    );
    let (title, rest) = match db {
        Db::Sqlite(_) => (query.fts5_in(Tier::Title), query.fts5_in(Tier::Elsewhere)),
        Db::Postgres(_) => (query.tsquery(), query.tsquery()),
    };
    let (limit, offset) = (limit as i64, offset as i64);
    // Not prepared for reuse on PostgreSQL: planned with the query's text at hand, it scans the
    // primary key backwards for a common word and the GIN index for a rare one; a generic plan
    // must pick one for both.
    on_pool!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(&title)
            .bind(&rest)
            .bind(now)
            .bind(CANDIDATES as i64)
            .bind(limit)
            .bind(offset)
            .persistent(matches!(db, Db::Sqlite(_)))
            .fetch_all(pool)
            .await
    })
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

/// One page of results for `query` as of `now`: `limit` from `offset` in rank order, with the
/// total.
pub async fn search(
    db: &Db,
    query: &SearchQuery,
    now: Timestamp,
    offset: usize,
    limit: usize,
) -> sqlx::Result<Results> {
    let ranked = rank(db, query, now, offset, limit).await?;
    let total = ranked.first().map_or(Total::default(), |r| Total {
        count: usize::try_from(r.total).unwrap_or(0),
        capped: r.capped != 0,
    });
    let shown: Vec<(Kind, i64)> = ranked
        .iter()
        .filter_map(|r| {
            let kind = if r.kind.as_deref()? == "page" { Kind::Page } else { Kind::Post };
            Some((kind, r.id?))
        })
        .collect();
    let mut found = Vec::with_capacity(shown.len());
    for kind in Kind::ALL {
        let ids: Vec<i64> = shown.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
        found.extend(hits(db, kind, query, &ids).await?.into_iter().map(|hit| (kind, hit)));
    }
    // Back into rank order; a row deleted between the two statements is left out.
    let hits = shown
        .iter()
        .filter_map(|key| found.iter().position(|(k, h)| (*k, h.id) == *key))
        .map(|i| found[i].clone())
        .collect();
    Ok(Results { hits, total })
}
