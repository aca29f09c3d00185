//! Full-text search over what readers can see: published posts whose moment has come, and
//! published pages. SQLite ranks with FTS5's `bm25` over `post_search` and `page_search`;
//! PostgreSQL with `ts_rank` over the generated `search_vector` columns (migrations 0009). In
//! both, a title match weighs ten times a body match.

use sqlx::FromRow;

use super::{Db, on_pool};
use crate::domain::Timestamp;
use crate::domain::search::SearchQuery;

/// One result. `snippet` is the body's best fragment with the matches between
/// [`crate::domain::search::MARK_START`] and `MARK_END`, not yet escaped.
#[derive(Debug, Clone, FromRow)]
pub struct Hit {
    /// `post` or `page`.
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub snippet: String,
    /// A post's publication time, a page's last change.
    pub date: Timestamp,
}

// bm25's weights are per column (title, body_text); lower scores rank first. CROSS JOIN keeps
// the index the outer loop: SQLite otherwise drives from `posts` and runs the MATCH once per
// post (65 s for a common word at 100,000 posts, 0.2 s this way).
const SQLITE: &str = "SELECT kind, slug, title, snippet, date FROM (
    SELECT 'post' AS kind, p.slug, p.title, p.published_at AS date,
        snippet(post_search, 1, char(2), char(3), '…', 24) AS snippet,
        bm25(post_search, 10.0, 1.0) AS score
    FROM post_search CROSS JOIN posts p ON p.id = post_search.rowid
    WHERE post_search MATCH $1 AND p.status = 'published' AND p.published_at <= $2
    UNION ALL
    SELECT 'page', g.slug, g.title, g.updated_at,
        snippet(page_search, 1, char(2), char(3), '…', 24),
        bm25(page_search, 10.0, 1.0)
    FROM page_search CROSS JOIN pages g ON g.id = page_search.rowid
    WHERE page_search MATCH $1 AND g.status = 'published'
) ORDER BY score, date DESC LIMIT $3 OFFSET $4";

const SQLITE_COUNT: &str = "SELECT
    (SELECT COUNT(*) FROM post_search CROSS JOIN posts p ON p.id = post_search.rowid
     WHERE post_search MATCH $1 AND p.status = 'published' AND p.published_at <= $2)
  + (SELECT COUNT(*) FROM page_search CROSS JOIN pages g ON g.id = page_search.rowid
     WHERE page_search MATCH $1 AND g.status = 'published')";

// ts_rank's weights are {D, C, B, A}: the title is A, the body B. The snippet is made only for
// the page of results, after the ranking, as ts_headline reads the whole body.
const POSTGRES: &str = "WITH q AS (SELECT to_tsquery('simple', folio_unaccent($1)) AS query),
  ranked AS (
    SELECT 'post' AS kind, p.slug, p.title, p.body_text, p.published_at AS date,
        ts_rank('{0.1, 0.2, 0.1, 1.0}', p.search_vector, q.query) AS score
    FROM posts p, q
    WHERE p.search_vector @@ q.query AND p.status = 'published' AND p.published_at <= $2
    UNION ALL
    SELECT 'page', g.slug, g.title, g.body_text, g.updated_at,
        ts_rank('{0.1, 0.2, 0.1, 1.0}', g.search_vector, q.query)
    FROM pages g, q
    WHERE g.search_vector @@ q.query AND g.status = 'published'
    ORDER BY score DESC, date DESC LIMIT $3 OFFSET $4)
  SELECT kind, slug, title, date,
      ts_headline('simple', body_text, q.query,
          'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=24, MinWords=12, MaxFragments=1')
          AS snippet
  FROM ranked, q ORDER BY score DESC, date DESC";

const POSTGRES_COUNT: &str = "WITH q AS (SELECT to_tsquery('simple', folio_unaccent($1)) AS query)
  SELECT (SELECT COUNT(*) FROM posts p, q
          WHERE p.search_vector @@ q.query AND p.status = 'published' AND p.published_at <= $2)
       + (SELECT COUNT(*) FROM pages g, q WHERE g.search_vector @@ q.query AND g.status = 'published')";

/// Up to `limit` results for `query` from `offset`, best first, as of `now`.
pub async fn search(
    db: &Db,
    query: &SearchQuery,
    now: Timestamp,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Hit>> {
    match db {
        Db::Sqlite(pool) => {
            sqlx::query_as(SQLITE).bind(query.fts5()).bind(now).bind(limit).bind(offset).fetch_all(pool).await
        }
        Db::Postgres(pool) => {
            sqlx::query_as(POSTGRES)
                .bind(query.tsquery())
                .bind(now)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await
        }
    }
}

/// How many results `query` has in all, as of `now`.
pub async fn count(db: &Db, query: &SearchQuery, now: Timestamp) -> sqlx::Result<i64> {
    let (sql, text) = match db {
        Db::Sqlite(_) => (SQLITE_COUNT, query.fts5()),
        Db::Postgres(_) => (POSTGRES_COUNT, query.tsquery()),
    };
    on_pool!(db, |pool| sqlx::query_scalar(sql).bind(&text).bind(now).fetch_one(pool).await)
}
